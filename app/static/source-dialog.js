// The source dialog: the cited article, its sentence highlighted and scrolled into view.
// A native modal <dialog> keeps focus inside and closes on Escape; focus goes back to the
// button that opened it.

import { getJSON } from "./api.js";
import { citationParts } from "./text.js";

const FOCUSABLE = "a[href], button:not([disabled]), [tabindex]:not([tabindex='-1'])";
const articles = new Map();

function article(file) {
  if (!articles.has(file)) {
    const request = getJSON(`/v1/sources/${encodeURIComponent(file)}`);
    // A failed request is not kept, so the next press tries again.
    request.catch(() => articles.delete(file));
    articles.set(file, request);
  }
  return articles.get(file);
}

export function setUpSourceDialog() {
  const dialog = document.getElementById("source-dialog");
  const title = document.getElementById("source-title");
  const meta = document.getElementById("source-meta");
  const cited = document.getElementById("source-cited");
  const error = document.getElementById("source-error");
  const articleText = document.getElementById("source-article");
  let opener = null;
  let shown = 0;

  document.getElementById("source-close").addEventListener("click", () => dialog.close());
  // The page behind a modal dialog is inert, but Tab would still leave for the browser's own
  // controls: go round the dialog's controls instead.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") {
      return;
    }
    const stops = [...dialog.querySelectorAll(FOCUSABLE)].filter((node) => node.checkVisibility());
    if (stops.length === 0) {
      return;
    }
    const [first, last] = [stops[0], stops[stops.length - 1]];
    if (event.shiftKey ? document.activeElement === first : document.activeElement === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  });
  dialog.addEventListener("close", () => {
    // The close event comes a task later: the dialog may have been opened again meanwhile.
    if (dialog.open) {
      return;
    }
    articleText.replaceChildren();
    if (opener?.isConnected) {
      opener.focus();
    }
    opener = null;
  });

  return async function open(button, provenance, citedFor) {
    const request = (shown += 1);
    opener = button;
    title.textContent = "Source";
    meta.textContent = `${provenance.source_file}, sentence_index ${provenance.sentence_index}`;
    cited.textContent = `Cited for: ${citedFor}`;
    error.hidden = true;
    articleText.replaceChildren(paragraph("Loading the article…"));
    articleText.setAttribute("aria-busy", "true");
    if (!dialog.open) {
      dialog.showModal();
    }
    let source;
    try {
      source = await article(provenance.source_file);
    } catch (failure) {
      if (request === shown) {
        show(error, `The article could not be loaded. ${failure.message}`);
        articleText.replaceChildren(quoted(provenance.sentence));
        articleText.removeAttribute("aria-busy");
      }
      return;
    }
    if (request !== shown || !dialog.open) {
      return;
    }
    title.textContent = source.title ?? source.file;
    meta.textContent = [
      source.publisher,
      source.published && `published ${source.published}${source.published_inferred ? " (inferred)" : ""}`,
      `${source.file}, sentence_index ${provenance.sentence_index} (of ${source.sentence_count} sentences)`,
    ]
      .filter(Boolean)
      .join(" · ");
    const parts = citationParts(source.text, provenance);
    articleText.removeAttribute("aria-busy");
    if (parts === null) {
      show(error, "The cited sentence could not be found at its offsets in this article.");
      articleText.replaceChildren(document.createTextNode(source.text));
      return;
    }
    const mark = document.createElement("mark");
    mark.className = "cited-sentence";
    const quote = document.createElement("span");
    quote.className = "cited-quote";
    quote.textContent = parts.quote;
    mark.append(parts.sentenceBefore, quote, parts.sentenceAfter);
    articleText.replaceChildren(parts.before, mark, parts.after);
    mark.scrollIntoView({ block: "center" });
  };
}

function show(element, message) {
  element.textContent = message;
  element.hidden = false;
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function quoted(text) {
  const mark = document.createElement("mark");
  mark.className = "cited-sentence";
  mark.textContent = text;
  return mark;
}
