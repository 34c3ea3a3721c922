"""Articles -> sentences: page chrome removed, stable indices, offsets into the raw text.

A quote resolves to the one sentence of an article that holds it (`resolve_quote`), for the
seed's quotes and the write API's citations alike.

Offsets count Unicode code points of the UTF-8 decoded file, so `text[char_start:char_end]`
is the sentence in any language that slices strings by code point (Python, JavaScript with
`Array.from`, PostgreSQL `substr`).
"""

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sentencex

# Navigation, widget and link labels that stand alone on a line.
CHROME_LABELS = frozenset(
    {
        "skip to main content",
        "advertisement",
        "live broadcast",
        "select important",
        "on",
        "off",
        "les på norsk.",
        "add your comment",
        "your comment avatar",
        "date",
    }
)
# A line that opens one of these ends the article: what follows is boxes, tags or comments.
END_OF_ARTICLE = re.compile(
    r"^(also read|tags|read-to-earn\b.*|comment-to-earn|\d+ comments?|переведено сервисом.*)$",
    re.IGNORECASE,
)
PHOTO_CREDIT_LINE = re.compile(r"^\(?(photo|foto|фото)\s*:", re.IGNORECASE)
CAPTION_CREDIT = re.compile(r"\s*\((photo|foto|фото)\s*:[^)]*\)\s*$", re.IGNORECASE)
BULLET = re.compile(r"^[·•▪*\-]\s+")
COUNTER = re.compile(r"^[\d.,]+$")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
TERMINAL = (".", "!", "?", ":", ";", '"', "”", "»", "'", "…")
# The most words a headline has: a longer first line is split into sentences like body text.
HEADLINE_WORDS = 15


@dataclass(frozen=True)
class SentenceSpan:
    index: int
    char_start: int
    char_end: int
    kind: str  # title | heading | body | bullet | caption
    text: str


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_article(path: Path) -> str:
    """The article's text, decoded exactly as stored (no newline translation)."""
    return path.read_bytes().decode("utf-8")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, line.rstrip("\r\n")
        start += len(line)


def is_chrome(line: str, extra: Iterable[str] = ()) -> bool:
    """True when a stripped line is page furniture rather than article text."""
    lowered = line.lower()
    return (
        lowered in CHROME_LABELS
        or line in set(extra)
        or bool(COUNTER.match(line))
        or bool(PHOTO_CREDIT_LINE.match(line))
        # A line in another script only (widget labels of the original site).
        or (bool(CYRILLIC.search(line)) and not LATIN.search(line))
    )


def _line_kind(line: str, first: bool) -> str:
    if first:
        return "title"
    if BULLET.match(line):
        return "bullet"
    if CAPTION_CREDIT.search(line):
        return "caption"
    if not line.endswith(TERMINAL) and len(line.split()) <= HEADLINE_WORDS:
        return "heading"
    return "body"


def split_sentences(text: str, extra_chrome: Iterable[str] = ()) -> list[SentenceSpan]:
    """Split an article into sentences of article text, skipping page chrome."""
    extra = tuple(extra_chrome)
    spans: list[SentenceSpan] = []
    for line_start, raw in _lines(text):
        line = raw.strip()
        if not line:
            continue
        if END_OF_ARTICLE.match(line):
            break
        if is_chrome(line, extra):
            continue
        kind = _line_kind(line, first=not spans)
        offset = line_start + (len(raw) - len(raw.lstrip()))
        body = line
        if kind == "bullet":
            marker = BULLET.match(body)
            assert marker is not None
            offset += marker.end()
            body = body[marker.end() :]
        elif kind == "caption":
            credit = CAPTION_CREDIT.search(body)
            assert credit is not None
            body = body[: credit.start()]
        pieces = [(0, len(body))]
        if kind not in ("title", "heading") or len(body.split()) > HEADLINE_WORDS:
            pieces = [
                (b["start_index"], b["end_index"])
                for b in sentencex.get_sentence_boundaries("en", body)
            ]
        for n, (start, end) in enumerate(pieces):
            # A title too long for a headline is an article posted as one line (or a
            # paragraph before any headline): its first sentence is the title, the rest body.
            kind = kind if n == 0 or kind != "title" else "body"
            piece = body[start:end]
            lead = len(piece) - len(piece.lstrip())
            trimmed = piece.strip()
            if not trimmed:
                continue
            char_start = offset + start + lead
            char_end = char_start + len(trimmed)
            assert text[char_start:char_end] == trimmed
            spans.append(SentenceSpan(len(spans), char_start, char_end, kind, trimmed))
    return spans


@dataclass(frozen=True)
class Article:
    file: str
    text: str
    sha256: str
    sentences: list[SentenceSpan]


def resolve_quote(article: Article, text: str) -> tuple[SentenceSpan, int] | str:
    """The sentence holding `text` and the quote's offset, or why it can't be found."""
    first = article.text.find(text)
    if first < 0:
        return "not found verbatim"
    if article.text.find(text, first + 1) >= 0:
        return "occurs more than once; quote a longer span"
    for sentence in article.sentences:
        if sentence.char_start <= first and first + len(text) <= sentence.char_end:
            return sentence, first
    return "is not inside one sentence of article text (page chrome, or it spans sentences)"
