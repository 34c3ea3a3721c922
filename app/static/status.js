// The status page: every section is read from the /v1 API and built with DOM calls (no HTML
// strings, so nothing in the data is ever parsed as markup).

import { getAll, getJSON } from "./api.js";
import { setUpSourceDialog } from "./source-dialog.js";
import { ageOf } from "./text.js";

const CROSSING_STATUSES = new Set(["open", "closed", "restricted", "unknown"]);
const SEARCH_DELAY_MS = 300;

const countryNames = new Map();
// The provenance item and the record behind each source button.
const citations = new WeakMap();
let openSource;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name === "class") {
      node.className = value;
    } else {
      node.setAttribute(name, value);
    }
  }
  node.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return node;
}

function countryName(code) {
  return countryNames.get(code) ?? code;
}

function words(value) {
  return String(value).replaceAll("_", " ");
}

// A coloured badge for a crossing or border status; a plain one for other vocabularies.
function badge(status) {
  const known = CROSSING_STATUSES.has(status);
  return element(
    "span",
    { class: known ? `badge badge-${status}` : "badge badge-plain" },
    words(status),
  );
}

function dated(since, inferred, note) {
  if (!since) {
    return null;
  }
  const text = inferred ? `${since} (inferred)` : since;
  if (!note) {
    return text;
  }
  return element("span", {}, text, " ", element("details", { class: "note" },
    element("summary", {}, "how this date was read"), note));
}

// When the newest source behind a status was published, how long ago, and whether that is old.
function reported(answer) {
  if (!answer.last_reported) {
    return element("span", { class: "stale" }, "no source covers it");
  }
  const age = `${answer.last_reported}, ${ageOf(answer.last_reported, new Date())}`;
  return answer.stale ? element("span", { class: "stale" }, `${age}: may be out of date`) : age;
}

function facts(pairs) {
  const rows = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (rows.length === 0) {
    return null;
  }
  return element("dl", { class: "facts" },
    rows.map(([term, value]) => [element("dt", {}, term), element("dd", {}, value)]));
}

// One real button per cited sentence.
function sourceButtons(provenance, label) {
  if (!provenance || provenance.length === 0) {
    return element("p", { class: "sources" }, "No source cited.");
  }
  const buttons = provenance.map((item, index) => {
    const number = provenance.length > 1 ? ` ${index + 1}` : "";
    const button = element("button", { type: "button", class: "source-button" },
      `Source${number}`, element("span", { class: "visually-hidden" }, ` for ${label}`));
    citations.set(button, { item, label });
    return button;
  });
  return element("div", { class: "sources" }, buttons);
}

function card(heading, status, ...content) {
  return element("article", { class: "card" },
    element("div", { class: "card-heading" }, element("h3", {}, heading), status && badge(status)),
    ...content);
}

function showError(section, message) {
  const box = section.querySelector(".error");
  box.textContent = message;
  box.hidden = false;
}

function clearError(section) {
  const box = section.querySelector(".error");
  box.textContent = "";
  box.hidden = true;
}

function doneLoading(section) {
  section.querySelector(".loading")?.remove();
  section.removeAttribute("aria-busy");
}

async function loadSection(id, load) {
  const section = document.getElementById(id);
  section.setAttribute("aria-busy", "true");
  try {
    await load(section);
    clearError(section);
  } catch (error) {
    showError(section, error.message);
  } finally {
    doneLoading(section);
  }
}

// --- borders ----------------------------------------------------------------------------------

function counts(crossingCounts) {
  const parts = Object.entries(crossingCounts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  return parts.length ? parts.join(", ") : "none named in the sources";
}

function borderCard(border) {
  const label = `the ${countryName(border.country)}–${countryName(border.neighbour)} border`;
  return element("div", { class: "border" },
    element("div", { class: "card-heading" },
      element("h4", {}, `With ${countryName(border.neighbour)}`), badge(border.status)),
    facts([
      ["Since", dated(border.status_since, border.status_since_inferred, border.status_since_note)],
      ["Crossings", counts(border.crossing_counts)],
      ["Last reported", reported(border)],
      ["Disputed", border.disputed
        ? element("a", { href: "#conflicts" }, "yes, see the disputed facts") : null],
    ]),
    border.summary && element("p", {}, border.summary),
    sourceButtons(border.provenance, label));
}

function renderBorders(countries, borders) {
  const list = document.getElementById("border-list");
  const nato = countries.filter((country) => country.role === "nato");
  list.replaceChildren(...nato.map((country) => {
    const own = borders.filter((border) => border.country === country.code);
    return element("article", { class: "card" },
      element("h3", {}, country.name),
      own.length
        ? own.map(borderCard)
        : element("p", {}, "The sources give no status for this country's borders."));
  }));
}

function fillCountryFilter(countries) {
  const select = document.getElementById("filter-country");
  const options = countries
    .filter((country) => country.role !== "other")
    .map((country) => element("option", { value: country.code },
      country.role === "neighbour" ? `${country.name} (all its borders)` : country.name));
  select.append(...options);
}

// --- crossings --------------------------------------------------------------------------------

function crossingCard(crossing) {
  const name = crossing.counterpart ? `${crossing.name} – ${crossing.counterpart}` : crossing.name;
  return card(name, crossing.status,
    facts([
      ["Border", `${countryName(crossing.country)} – ${countryName(crossing.neighbour)}`],
      ["Traffic", crossing.traffic.length ? crossing.traffic.join(", ") : "none"],
      ["Since", dated(crossing.status_since, crossing.status_since_inferred,
        crossing.status_since_note)],
      ["Also written", crossing.aliases.length ? crossing.aliases.join("; ") : null],
      ["Last reported", reported(crossing)],
    ]),
    crossing.notes && element("p", {}, crossing.notes),
    sourceButtons(crossing.provenance, crossing.name));
}

function borderNote(note) {
  const [country, neighbour] = note.border_id.split("-");
  return card(`${countryName(country)} – ${countryName(neighbour)} border`, note.status,
    facts([["Since", note.status_since]]),
    note.summary && element("p", {}, note.summary),
    sourceButtons(note.provenance, `the ${note.border_id} border`));
}

function crossingsQuery(form) {
  const query = new URLSearchParams();
  for (const name of ["country", "status", "q"]) {
    const value = form.elements[name].value.trim();
    if (value) {
      query.set(name, value);
    }
  }
  return query.toString();
}

let crossingsRequest = 0;

async function loadCrossings(form) {
  const section = document.getElementById("crossings");
  const list = document.getElementById("crossing-list");
  const empty = document.getElementById("crossings-empty");
  const summary = document.getElementById("crossings-summary");
  const link = document.getElementById("crossings-request");
  const query = crossingsQuery(form);
  const path = `/v1/crossings${query ? `?${query}` : ""}`;
  const request = (crossingsRequest += 1);
  link.href = path;
  link.textContent = path;
  section.setAttribute("aria-busy", "true");
  let answer;
  try {
    answer = await getAll(path);
  } catch (error) {
    if (request === crossingsRequest) {
      list.replaceChildren();
      empty.hidden = true;
      summary.textContent = "";
      showError(section, error.message);
      section.removeAttribute("aria-busy");
    }
    return;
  }
  if (request !== crossingsRequest) {
    return;
  }
  clearError(section);
  section.removeAttribute("aria-busy");
  const { data, meta } = answer;
  summary.textContent = data.length === 1 ? "1 crossing" : `${data.length} crossings`;
  list.replaceChildren(...data.map(crossingCard));
  const notes = meta.border_statuses ?? [];
  if (data.length === 0) {
    empty.replaceChildren(element("p", {}, meta.note ?? "No crossing matches these filters."));
    if (notes.length) {
      empty.append(element("div", { class: "cards" }, notes.map(borderNote)));
    }
    empty.hidden = false;
  } else {
    empty.replaceChildren();
    empty.hidden = true;
  }
}

function setUpCrossingFilters() {
  const form = document.getElementById("crossing-filters");
  let timer = null;
  const reload = () => {
    clearTimeout(timer);
    loadCrossings(form);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    reload();
  });
  form.elements.country.addEventListener("change", reload);
  form.elements.status.addEventListener("change", reload);
  form.elements.q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => loadCrossings(form), SEARCH_DELAY_MS);
  });
  return form;
}

// --- restrictions, fortifications, conflicts --------------------------------------------------

function countryList(codes) {
  return codes.map(countryName).join(", ");
}

function restrictionCard(restriction) {
  return card(words(restriction.kind), restriction.status,
    element("p", {}, restriction.summary),
    facts([
      ["Countries", countryList(restriction.countries)],
      ["Since", dated(restriction.since, restriction.since_inferred, restriction.since_note)],
      ["Until", restriction.until],
      ["Last reported", reported(restriction)],
    ]),
    sourceButtons(restriction.provenance, `the ${words(restriction.kind)} restriction`));
}

const euros = new Intl.NumberFormat("en", { style: "currency", currency: "EUR",
  maximumFractionDigits: 0 });

function fortificationCard(project) {
  const where = project.country ? countryName(project.country) : countryList(project.countries);
  return card(`${where}: ${words(project.kind)}`, project.status,
    element("p", {}, project.summary),
    facts([
      ["Facing", project.neighbour && countryName(project.neighbour)],
      ["Length", project.length_km !== null ? `${project.length_km} km` : null],
      ["Budget", project.budget_eur !== null ? euros.format(project.budget_eur) : null],
      ["Count", project.count],
      ["Completion", dated(project.completion, project.completion_inferred,
        project.completion_note)],
      ["Last reported", reported(project)],
    ]),
    sourceButtons(project.provenance, `${where}: ${words(project.kind)}`));
}

function claimItem(fact, claim) {
  const value = fact.unit ? `${claim.value} ${fact.unit}` : claim.value;
  return element("li", { class: claim.preferred ? "claim claim-preferred" : "claim" },
    element("p", { class: "claim-value" }, element("strong", {}, words(value)),
      claim.preferred ? " (preferred)" : null),
    claim.note && element("p", {}, claim.note),
    sourceButtons(claim.provenance, `the claim “${value}”`));
}

function conflictCard(fact) {
  return card(fact.summary, null,
    facts([
      ["About", `${fact.subject.type} ${fact.subject.id}`],
      ["Preferred", fact.preferred_value && words(fact.preferred_value)],
      ["Why", fact.preferred_reason],
    ]),
    element("ul", { class: "claims", "aria-label": "Claims" },
      fact.claims.map((claim) => claimItem(fact, claim))));
}

async function renderList(path, listId, render, emptyText) {
  const { data } = await getAll(path);
  const list = document.getElementById(listId);
  list.replaceChildren(...(data.length ? data.map(render) : [element("p", {}, emptyText)]));
}

// --- how to use the JSON ----------------------------------------------------------------------

function showOriginInExamples() {
  for (const code of document.querySelectorAll("#api code[data-path]")) {
    code.textContent = code.textContent.replaceAll("http://127.0.0.1:8000", window.location.origin);
  }
}

// --- start ------------------------------------------------------------------------------------

async function start() {
  openSource = setUpSourceDialog();
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.(".source-button");
    const citation = button && citations.get(button);
    if (citation) {
      openSource(button, citation.item, citation.label);
    }
  });
  showOriginInExamples();
  const form = setUpCrossingFilters();

  let countries = [];
  await loadSection("borders", async () => {
    const [countryAnswer, borderAnswer] = await Promise.all([
      getJSON("/v1/countries"),
      getAll("/v1/borders"),
    ]);
    countries = countryAnswer.data;
    for (const country of countries) {
      countryNames.set(country.code, country.name);
    }
    renderBorders(countries, borderAnswer.data);
  });
  fillCountryFilter(countries);

  await Promise.all([
    loadCrossings(form),
    loadSection("restrictions", () => renderList("/v1/restrictions", "restriction-list",
      restrictionCard, "No restriction on record.")),
    loadSection("fortifications", () => renderList("/v1/fortifications", "fortification-list",
      fortificationCard, "No fortification project on record.")),
    loadSection("conflicts", () => renderList("/v1/conflicts", "conflict-list", conflictCard,
      "The sources agree on every fact.")),
  ]);
  document.body.dataset.loaded = "true";
}

start();
