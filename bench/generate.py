"""Synthetic datasets for the scale benchmark (issue 4, target 5): N crossings and what they need.

For N crossings it makes, deterministically from a seed:

- the real countries (NO FI EE LV LT PL RU BY) and the real borders, with the crossings spread
  evenly over those borders;
- per crossing: a name (sometimes with diacritics), a counterpart, 2-3 aliases, 1-3 traffic modes
  and 10 dated status changes (events with `subject` crossing:<id>, `status_before/after`, and
  the countries they concern), the last of which gives the crossing's status;
- N/10 restrictions, on 1-4 countries each;
- one synthetic article per 1000 crossings (a `source` row) and its `sentence` rows, with
  `sentence == article[char_start:char_end]`; every record (border, crossing, event, restriction)
  cites 1-3 spans of those sentences, with `quote == article[quote_start:quote_end]`;
- the search documents the seeder would make for sentences, crossings, restrictions and borders
  (for events too with --search-events: 10 per crossing, each through the full-text index, which
  makes the largest load a third longer on PostgreSQL and is not what this benchmark is about).

It loads into an empty migrated database (it runs the migrations itself) in one transaction:
SQLAlchemy Core `insert(table)` executemany on SQLite (synchronous=OFF and a large page cache for
the load connection only), psycopg COPY on PostgreSQL. The load time covers generating the rows
and inserting them, up to the commit. Then, timed on its own, it builds the stored per-record
documents, the tallies behind list totals and the status periods `as_of` filters by
(`app.derived.refresh.refresh_derived`, as the seeder does), and bumps the data version.

    python bench/generate.py --crossings 100000 --database-url sqlite:///bench/out/x.db
    python bench/generate.py --check      # 1k on SQLite, then the real API must serve it right
"""

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing
import random
import re
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from anyascii import anyascii
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, SQLModel

from app.dates import period_start
from app.db.engine import make_engine
from app.db.migrations import migrate
from app.derived.refresh import Changes, Refreshed, refresh_derived
from app.models import Crossing
from app.names import fold as app_fold

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
CROSSINGS_PER_ARTICLE = 1000
EVENTS_PER_CROSSING = 10
FIRST_DAY = dt.date(2014, 1, 1)
DAYS = 12 * 365

Row = tuple[Any, ...]

# --- the real reference data ---------------------------------------------------------------

COUNTRIES: list[tuple[str, str, str]] = [
    ("NO", "Norway", "nato"),
    ("FI", "Finland", "nato"),
    ("EE", "Estonia", "nato"),
    ("LV", "Latvia", "nato"),
    ("LT", "Lithuania", "nato"),
    ("PL", "Poland", "nato"),
    ("RU", "Russia", "neighbour"),
    ("BY", "Belarus", "neighbour"),
]
COUNTRY_NAMES = {code: name for code, name, _role in COUNTRIES}
CODES = [code for code, _name, _role in COUNTRIES]
# (country, neighbour, status, status_since): the borders seed_data/records.yaml covers.
BORDERS: list[tuple[str, str, str, str | None]] = [
    ("NO", "RU", "open", None),
    ("FI", "RU", "closed", "2023"),
    ("EE", "RU", "open", None),
    ("LV", "RU", "restricted", "2023-12"),
    ("LT", "RU", "restricted", None),
    ("PL", "RU", "open", None),
    ("PL", "BY", "unknown", None),
]
BORDER_PHRASES = {
    "open": "stays open for traffic",
    "closed": "has been closed since 2023",
    "restricted": "is open only for some traffic",
    "unknown": "is in a state the reports do not make clear",
}

# --- names --------------------------------------------------------------------------------

SYLLABLES = (
    "ber dor gal kar lem mar nor pal rav sel tar vel zor kel mun pir sal var lud bra gre vien "
    "pe ze ku ra sto li ne ta mi so ro va ka te lu ri"
).split()
ENDINGS = {
    "NO": ["skog", "vik", "dal", "nes", "fjord", "moen"],
    "FI": ["la", "nen", "järvi", "koski", "mäki", "niemi"],
    "EE": ["a", "u", "ste", "küla", "oja", "mäe"],
    "LV": ["i", "a", "e", "ne", "ava", "uļi"],
    "LT": ["ai", "ė", "as", "ių", "ys", "onys"],
    "PL": ["owo", "ice", "ów", "ek", "ka", "sk"],
}
NEIGHBOUR_ENDINGS = ["ovo", "ino", "ka", "sk", "evo", "ichi", "ki", "ovsk"]
DIACRITICS = {
    "NO": {"o": "ø", "a": "å"},
    "FI": {"a": "ä", "o": "ö"},
    "EE": {"a": "ä", "o": "õ", "u": "ü", "s": "š"},
    "LV": {"a": "ā", "e": "ē", "i": "ī", "u": "ū", "n": "ņ", "l": "ļ", "s": "š", "z": "ž"},
    "LT": {"a": "ą", "e": "ė", "i": "į", "u": "ū", "s": "š", "z": "ž", "c": "č"},
    "PL": {"a": "ą", "e": "ę", "l": "ł", "n": "ń", "o": "ó", "s": "ś", "z": "ż", "c": "ć"},
}
TRAFFIC = ["car", "truck", "bus", "pedestrian", "rail"]
TRAFFIC_WEIGHTS = [0.8, 0.55, 0.35, 0.2, 0.12]
RESTRICTED_TO = ["trucks", "buses", "pedestrians", "cars", "freight trains"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# kind: (what it did, what it would do)
RESTRICTION_KINDS: dict[str, tuple[str, str]] = {
    "visa": (
        "stopped issuing tourist visas to Russian citizens",
        "stop issuing tourist visas to Russian citizens",
    ),
    "entry": (
        "refused entry to Russian citizens holding visas issued elsewhere",
        "refuse entry to Russian citizens holding visas issued elsewhere",
    ),
    "vehicle": (
        "banned passenger cars with Russian registration plates",
        "ban passenger cars with Russian registration plates",
    ),
    "goods": (
        "banned the import of sanctioned goods by road",
        "ban the import of sanctioned goods by road",
    ),
    "transit": (
        "suspended rail transit of sanctioned goods to Kaliningrad",
        "suspend rail transit of sanctioned goods to Kaliningrad",
    ),
    "inspection": (
        "introduced full inspections of trucks bound for Russia",
        "introduce full inspections of trucks bound for Russia",
    ),
    "pedestrian": (
        "closed the pedestrian lanes at the border checkpoints",
        "close the pedestrian lanes at the border checkpoints",
    ),
}
RESTRICTION_STATUSES = ["in_force", "lifted", "planned", "proposed"]
# kind: what is built
FORTIFICATION_KINDS: dict[str, str] = {
    "fence": "a border fence",
    "wall": "a border wall",
    "bunkers": "a line of concrete bunkers",
    "minefield": "minefields along the border",
    "anti_tank": "anti-tank obstacles",
    "surveillance": "a surveillance system with cameras and sensors",
    "line": "a defence line",
}
FORTIFICATION_STATUSES = ["proposed", "planned", "under_construction", "completed", "rejected"]
FORTIFICATION_STATUS_WEIGHTS = [0.15, 0.3, 0.3, 0.15, 0.1]
FORTIFICATION_VERBS = {
    "proposed": "proposed building",
    "planned": "plans to build",
    "under_construction": "is building",
    "completed": "has completed",
    "rejected": "rejected plans for",
}
RESTRICTION_STATUS_WEIGHTS = [0.5, 0.2, 0.15, 0.15]
INFERRED_NOTE = "Inferred from the article's publication date."

# Column order of the rows made for each table; the tables are loaded in this order (parents
# first). `doc` (the stored document) and search_document.id are left to the database.
COLUMNS: dict[str, tuple[str, ...]] = {
    "country": ("code", "name", "role"),
    "source": (
        "file",
        "sha256",
        "title",
        "publisher",
        "published",
        "published_inferred",
        "published_note",
        "text",
    ),
    "sentence": ("source_file", "sentence_index", "char_start", "char_end", "kind", "text"),
    "border": (
        "id",
        "country",
        "neighbour",
        "status",
        "status_since",
        "status_since_start",
        "status_since_inferred",
        "status_since_note",
        "summary",
    ),
    "crossing": (
        "id",
        "name",
        "counterpart",
        "country",
        "neighbour",
        "border_id",
        "status",
        "status_since",
        "status_since_start",
        "status_since_inferred",
        "status_since_note",
        "notes",
    ),
    "crossing_alias": ("crossing_id", "alias", "kind", "alias_key"),
    "crossing_traffic": ("crossing_id", "mode"),
    "restriction": (
        "id",
        "kind",
        "summary",
        "status",
        "since",
        "since_start",
        "since_inferred",
        "since_note",
        "until",
        "until_start",
    ),
    "restriction_country": ("restriction_id", "country"),
    "fortification": (
        "id",
        "kind",
        "summary",
        "status",
        "neighbour",
        "length_km",
        "budget_eur",
        "count",
        "completion",
        "completion_inferred",
        "completion_note",
    ),
    "fortification_country": ("fortification_id", "country"),
    "event": (
        "id",
        "date",
        "date_start",
        "date_inferred",
        "date_note",
        "kind",
        "summary",
        "subject_type",
        "subject_id",
        "status_before",
        "status_after",
    ),
    "event_country": ("event_id", "country", "date_start"),
    "citation": (
        "record_type",
        "record_id",
        "position",
        "source_file",
        "sentence_index",
        "quote",
        "quote_start",
        "quote_end",
    ),
    "search_document": ("doc_type", "doc_id", "title", "body", "terms"),
}
TABLES = list(COLUMNS)


# --- generating ---------------------------------------------------------------------------


class _AsciiTable(dict[int, str]):
    """anyascii one code point at a time, remembered: `str.translate` then runs at C speed."""

    def __missing__(self, code_point: int) -> str:
        value: str = anyascii(chr(code_point))
        self[code_point] = value
        return value


ASCII = _AsciiTable()
NON_ALNUM = re.compile(r"[^a-z0-9]+")


def to_ascii(value: str) -> str:
    """Equal to anyascii(value) (it maps code point by code point), much faster here."""
    return value if value.isascii() else value.translate(ASCII)


def fold(value: str) -> str:
    """Equal to app.names.fold (the self-check compares them on every alias)."""
    return NON_ALNUM.sub("", to_ascii(value).lower())


@dataclass
class PartialDate:
    text: str  # YYYY, YYYY-MM or YYYY-MM-DD
    start: dt.date
    words: str  # "on 12 March 2016", "in May 2017", "in 2018"


def partial_date(rng: random.Random, day: dt.date) -> PartialDate:
    """`day` at the precision a source might give it: mostly a day, sometimes a month or year."""
    r = rng.random()
    if r < 0.7:
        return PartialDate(day.isoformat(), day, f"on {day.day} {MONTHS[day.month - 1]} {day.year}")
    if r < 0.95:
        return PartialDate(
            f"{day.year:04d}-{day.month:02d}",
            day.replace(day=1),
            f"in {MONTHS[day.month - 1]} {day.year}",
        )
    return PartialDate(f"{day.year:04d}", dt.date(day.year, 1, 1), f"in {day.year}")


def and_list(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


class Article:
    """One synthetic article: sentences appended with their offsets, so text slices match."""

    def __init__(self, file: str, title: str) -> None:
        self.file = file
        self.title = title
        self.parts: list[str] = []
        self.length = 0
        self.sentences: list[Row] = []
        self.sentence(title, kind="heading")
        self.paragraph()

    def _append(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def paragraph(self) -> None:
        self._append("\n\n")

    def sentence(self, body: str, *, kind: str = "body") -> tuple[int, int, str]:
        """Append a sentence (after a space, unless a paragraph starts); (index, start, text)."""
        if self.parts and not self.parts[-1].endswith("\n"):
            self._append(" ")
        start = self.length
        self._append(body)
        index = len(self.sentences)
        self.sentences.append((self.file, index, start, start + len(body), kind, body))
        return index, start, body

    @property
    def text(self) -> str:
        return "".join(self.parts)


SentenceRef = tuple[int, int, str]  # index, start in the article, text

COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def copy_text_python(rows: list[Row]) -> bytes:
    """Rows in PostgreSQL's COPY text format: tab-separated, one per line."""
    return "".join("\t".join(map(copy_value, row)) + "\n" for row in rows).encode()


def copy_text(rows: list[Row]) -> bytes:
    """Rows in PostgreSQL's COPY text format, by psycopg's own formatter (C, the one behind
    `Copy.write_row`, about 5x faster than Python here) where this psycopg has it."""
    try:
        from psycopg._copy_base import TextFormatter
        from psycopg.adapt import Transformer
    except ImportError:
        return copy_text_python(rows)
    formatter = TextFormatter(Transformer())
    return b"".join([*(formatter.write_row(row) for row in rows), formatter.end()])


class Block:
    """The rows of one article's worth of data, table by table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {name: [] for name in TABLES}
        # The same rows as PostgreSQL COPY text, once `as_copy_text` has run.
        self.copy_text: dict[str, bytes] = {}
        self.counts: dict[str, int] = {}

    def as_copy_text(self) -> "Block":
        """Turn the rows into COPY text, table by table (in the generating process, so the
        loading one only streams bytes; they also cross the pipe far cheaper than tuples)."""
        for name, rows in self.rows.items():
            self.counts[name] = len(rows)
            self.copy_text[name] = copy_text(rows)
        self.rows = {name: [] for name in TABLES}
        return self

    def cite(
        self,
        record_type: str,
        record_id: str,
        position: int,
        article: Article,
        ref: SentenceRef,
        quote: str,
        offset: int | None = None,
    ) -> None:
        index, start, body = ref
        at = body.index(quote) if offset is None else offset
        self.rows["citation"].append(
            (
                record_type,
                record_id,
                position,
                article.file,
                index,
                quote,
                start + at,
                start + at + len(quote),
            )
        )

    def search(self, doc_type: str, doc_id: str, title: str, body: str) -> None:
        self.rows["search_document"].append((doc_type, doc_id, title, body, to_ascii(body)))


@dataclass
class Generator:
    crossings: int
    seed: int = 4
    search_events: bool = False
    rng: random.Random = field(init=False)
    # The fortifications draw from a stream of their own: the rest of the dataset is the
    # same with them as without.
    fortification_rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fortification_rng = random.Random(f"fortifications {self.seed}")

    # names

    def _word(self, code: str) -> str:
        rng = self.rng
        if code in ENDINGS:
            stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2)))
            word = stem + rng.choice(ENDINGS[code])
            marks = DIACRITICS[code]
            if rng.random() < 0.45:
                spots = [i for i, ch in enumerate(word) if i > 0 and ch in marks]
                if spots:
                    i = rng.choice(spots)
                    word = word[:i] + marks[word[i]] + word[i + 1 :]
        else:
            word = "".join(rng.choice(SYLLABLES) for _ in range(2)) + rng.choice(NEIGHBOUR_ENDINGS)
        return word[:1].upper() + word[1:]

    def _aliases(self, name: str, counterpart: str | None) -> list[str]:
        plain = to_ascii(name)
        candidates = []
        if plain != name:
            candidates.append(plain)
        if counterpart:
            candidates += [
                f"{name} – {counterpart}",
                f"{name}/{counterpart}",
                f"MAPP {counterpart}",
            ]
        candidates += [plain[:-1] + "ovo" if plain[-1] in "aeiouy" else plain + "a", f"KPP {name}"]
        taken = {name, counterpart}
        unique = [c for c in dict.fromkeys(candidates) if c not in taken]
        return self.rng.sample(unique, min(len(unique), self.rng.randint(2, 3)))

    # the dataset

    def articles(self) -> int:
        return max(1, -(-self.crossings // CROSSINGS_PER_ARTICLE))

    def reference_rows(self) -> Block:
        block = Block()
        block.rows["country"] = list(COUNTRIES)
        return block

    def block(self, k: int) -> Block:
        """Article k, with crossings [1000k, 1000k + 1000) and restrictions [100k, 100k + 100)."""
        block = Block()
        published = FIRST_DAY + dt.timedelta(days=DAYS + k)
        article = Article(
            f"synthetic_{k:05d}.txt",
            f"Border crossings of the eastern flank, synthetic report {k + 1}",
        )
        if k == 0:
            self._borders(block, article)
        first = k * CROSSINGS_PER_ARTICLE
        for i in range(first, min(self.crossings, first + CROSSINGS_PER_ARTICLE)):
            self._crossing(block, article, i)
        per_article = CROSSINGS_PER_ARTICLE // 10
        restrictions = self.crossings // 10
        for j in range(k * per_article, min(restrictions, (k + 1) * per_article)):
            self._restriction(block, article, j)
        per_article = CROSSINGS_PER_ARTICLE // 20
        fortifications = self.crossings // 20
        for j in range(k * per_article, min(fortifications, (k + 1) * per_article)):
            self._fortification(block, article, j)
        body = article.text
        block.rows["source"].append(
            (
                article.file,
                hashlib.sha256(body.encode()).hexdigest(),
                article.title,
                "Synthetic Wire",
                published.isoformat(),
                False,
                None,
                body,
            )
        )
        block.rows["sentence"] = article.sentences
        for index, _start, _end, _kind, sentence in [row[1:] for row in article.sentences]:
            block.search("sentence", f"{article.file}#{index}", article.title, sentence)
        return block

    def _borders(self, block: Block, article: Article) -> None:
        for country, neighbour, status, since in BORDERS:
            border_id = f"{country}-{neighbour}"
            where = f"The {COUNTRY_NAMES[country]}–{COUNTRY_NAMES[neighbour]} border"
            ref = article.sentence(f"{where} {BORDER_PHRASES[status]}.")
            summary = f"{where} {BORDER_PHRASES[status]} (synthetic)."
            block.rows["border"].append(
                (
                    border_id,
                    country,
                    neighbour,
                    status,
                    since,
                    period_start(since),
                    False,
                    None,
                    summary,
                )
            )
            block.cite("border", border_id, 0, article, ref, where)
            block.search("border", border_id, border_id, f"{border_id} {summary}")
        article.paragraph()

    def _crossing(self, block: Block, article: Article, i: int) -> None:
        rng = self.rng
        country, neighbour, _status, _since = BORDERS[i % len(BORDERS)]
        name = self._word(country)
        counterpart = self._word(neighbour) if rng.random() < 0.9 else None
        crossing_id = f"{fold(name)}-{i}"
        aliases = self._aliases(name, counterpart)
        traffic = [m for m, w in zip(TRAFFIC, TRAFFIC_WEIGHTS, strict=True) if rng.random() < w]
        traffic = traffic or ["car"]
        country_name, neighbour_name = COUNTRY_NAMES[country], COUNTRY_NAMES[neighbour]

        # The profile sentence: names, aliases and traffic.
        modes = and_list(traffic)
        other_side = f"{counterpart} on the {neighbour_name} side, " if counterpart else ""
        profile = article.sentence(
            f"The {name} checkpoint ({other_side}also spelled {aliases[0]}) handles {modes} "
            f"traffic on the {country_name}–{neighbour_name} border."
        )

        # Ten dated status changes, oldest first, told in two sentences with tracked offsets.
        days = sorted(rng.sample(range(DAYS), EVENTS_PER_CROSSING))
        dates = sorted(
            (partial_date(rng, FIRST_DAY + dt.timedelta(days=d)) for d in days),
            key=lambda p: p.start,
        )
        status = "open"
        events: list[tuple[PartialDate, str, str, str, str]] = []  # date, before, after, phrase
        for when in dates:
            after = rng.choice([s for s in ("open", "closed", "restricted") if s != status])
            if after == "closed":
                verb, kind = "was closed", "closure"
            elif after == "open":
                verb, kind = "reopened", "opening"
            else:
                verb, kind = f"was restricted to {rng.choice(RESTRICTED_TO)}", "decision"
            events.append((when, status, after, kind, f"{when.words} the checkpoint {verb}"))
            status = after
        half = EVENTS_PER_CROSSING // 2
        phrase_refs: list[tuple[SentenceRef, int]] = []
        for lead, chunk in ((f"At {name}, ", events[:half]), ("After that, ", events[half:])):
            offsets, body = [], lead
            for n, event in enumerate(chunk):
                if n:
                    body += "; "
                offsets.append(len(body))
                body += event[4]
            ref = article.sentence(body + ".")
            phrase_refs += [(ref, at) for at in offsets]
        article.paragraph()

        last = events[-1][0]
        inferred = rng.random() < 0.02
        block.rows["crossing"].append(
            (
                crossing_id,
                name,
                counterpart,
                country,
                neighbour,
                f"{country}-{neighbour}",
                status,
                last.text,
                last.start,
                inferred,
                INFERRED_NOTE if inferred else None,
                "Synthetic record for the scale benchmark." if rng.random() < 0.1 else None,
            )
        )
        seen = [(name, "name")] + ([(counterpart, "counterpart")] if counterpart else [])
        for alias, alias_kind in seen + [(a, "alias") for a in aliases]:
            block.rows["crossing_alias"].append((crossing_id, alias, alias_kind, fold(alias)))
        block.rows["crossing_traffic"] += [(crossing_id, mode) for mode in traffic]

        quotes: list[tuple[SentenceRef, str, int | None]] = [
            (profile, f"The {name} checkpoint", 0),
            (profile, f"handles {modes} traffic", None),
            (phrase_refs[-1][0], events[-1][4], phrase_refs[-1][1]),
        ]
        for position, (ref, quote, at) in enumerate(quotes[: rng.randint(1, 3)]):
            block.cite("crossing", crossing_id, position, article, ref, quote, at)
        block.search(
            "crossing",
            crossing_id,
            name,
            " ".join(x for x in (name, counterpart, " ".join(aliases)) if x),
        )

        for n, ((when, before, after, kind, phrase), (ref, at)) in enumerate(
            zip(events, phrase_refs, strict=True)
        ):
            event_id = f"{crossing_id}-e{n:02d}"
            action = {"closure": "closed", "opening": "reopened"}.get(kind, "restricted")
            summary = f"{country_name} {action} the {name} checkpoint."
            event_inferred = rng.random() < 0.02
            block.rows["event"].append(
                (
                    event_id,
                    when.text,
                    when.start,
                    event_inferred,
                    INFERRED_NOTE if event_inferred else None,
                    kind,
                    summary,
                    "crossing",
                    crossing_id,
                    before,
                    after,
                )
            )
            block.rows["event_country"].append((event_id, country, when.start))
            if rng.random() < 0.3:
                block.rows["event_country"].append((event_id, neighbour, when.start))
            event_quotes: list[tuple[SentenceRef, str, int | None]] = [
                (ref, phrase, at),
                (profile, f"The {name} checkpoint", 0),
                (phrase_refs[0][0], f"At {name}", 0),
            ]
            for position, (qref, quote, qat) in enumerate(event_quotes[: rng.randint(1, 3)]):
                block.cite("event", event_id, position, article, qref, quote, qat)
            if self.search_events:
                block.search("event", event_id, summary, summary)

    def _restriction(self, block: Block, article: Article, j: int) -> None:
        rng = self.rng
        kind = rng.choice(list(RESTRICTION_KINDS))
        done, planned = RESTRICTION_KINDS[kind]
        countries = rng.sample(CODES, rng.randint(1, 4))
        who = and_list([COUNTRY_NAMES[c] for c in countries])
        has = "has" if len(countries) == 1 else "have"
        status = rng.choices(RESTRICTION_STATUSES, RESTRICTION_STATUS_WEIGHTS)[0]
        since_day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
        since = partial_date(rng, since_day)
        until: PartialDate | None = None
        opening = since.words[:1].upper() + since.words[1:]
        if status == "lifted":
            until = partial_date(rng, since_day + dt.timedelta(days=rng.randint(60, 900)))
            body = f"{opening}, {who} {done}, a measure lifted {until.words}."
            phrase = done
        elif status == "in_force":
            body = f"{opening}, {who} {done}."
            phrase = done
        else:
            body = f"{who} {has} {status} to {planned} from {since.words[3:]}."
            phrase = f"{status} to {planned}"
        ref = article.sentence(body)
        restriction_id = f"{kind}-{fold(COUNTRY_NAMES[countries[0]])}-{j}"
        summary = f"{who} {has} {done if status in ('in_force', 'lifted') else phrase}."
        inferred = rng.random() < 0.05
        block.rows["restriction"].append(
            (
                restriction_id,
                kind,
                summary,
                status,
                since.text,
                since.start,
                inferred,
                INFERRED_NOTE if inferred else None,
                until.text if until else None,
                until.start if until else None,
            )
        )
        block.rows["restriction_country"] += [(restriction_id, c) for c in countries]
        quotes = [body[:-1], phrase, who]
        for position, quote in enumerate(quotes[: rng.randint(1, 3)]):
            block.cite("restriction", restriction_id, position, article, ref, quote)
        block.search("restriction", restriction_id, summary, summary)

    def _fortification(self, block: Block, article: Article, j: int) -> None:
        rng = self.fortification_rng
        kind = rng.choice(list(FORTIFICATION_KINDS))
        country, neighbour, *_ = rng.choice(BORDERS)
        status = rng.choices(FORTIFICATION_STATUSES, FORTIFICATION_STATUS_WEIGHTS)[0]
        length = rng.randint(5, 400)
        who = COUNTRY_NAMES[country]
        what = FORTIFICATION_KINDS[kind]
        where = f"on its border with {COUNTRY_NAMES[neighbour]}"
        completion: PartialDate | None = None
        if status == "completed":
            completion = partial_date(rng, FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS)))
            body = f"{who} has completed {what} {length} km long {where} {completion.words}."
        else:
            body = f"{who} {FORTIFICATION_VERBS[status]} {what} {length} km long {where}."
        ref = article.sentence(body)
        fortification_id = f"{kind.replace('_', '-')}-{fold(who)}-{j}"
        summary = f"{who}: {what}, {length} km {where}."
        block.rows["fortification"].append(
            (
                fortification_id,
                kind,
                summary,
                status,
                neighbour,
                float(length),
                None,
                None,
                completion.text if completion else None,
                False,
                None,
            )
        )
        block.rows["fortification_country"].append((fortification_id, country))
        quotes = [body[:-1], what, f"{length} km"]
        for position, quote in enumerate(quotes[: rng.randint(1, 3)]):
            block.cite("fortification", fortification_id, position, article, ref, quote)
        block.search("fortification", fortification_id, summary, summary)


# --- loading ------------------------------------------------------------------------------


class Writer:
    """Inserts a block's rows, table by table, on one connection inside its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tables: dict[str, Table] = {name: SQLModel.metadata.tables[name] for name in TABLES}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.seconds = 0.0  # spent in the database driver
        self.table_seconds: dict[str, float] = dict.fromkeys(TABLES, 0.0)

    def write(self, block: Block) -> None:
        for name in TABLES:
            count = block.counts.get(name, len(block.rows[name]))
            if count:
                started = time.perf_counter()
                self._insert_block(name, block)
                spent = time.perf_counter() - started
                self.rows[name] += count
                self.table_seconds[name] += spent
                self.seconds += spent

    def _insert_block(self, name: str, block: Block) -> None:
        self._insert(name, block.rows[name])

    def _insert(self, name: str, rows: list[Row]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Anything left to do before the commit."""


class SqliteWriter(Writer):
    """SQLite: each table's Core `insert(table)`, compiled once, run as executemany on tuples.

    Search documents go through a temporary table and one INSERT ... SELECT per block. A
    trigger feeds them to the FTS5 index, and row by row (executemany) that measured about 10x
    slower here than one statement per block; FTS5 seems to write its pending terms out at
    every statement.
    """

    STAGED = "search_document"

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        # What SQLAlchemy's Date type would send (and sqlite3 sends by default, deprecated).
        sqlite3.register_adapter(dt.date, dt.date.isoformat)
        self.statements: dict[str, str] = {}
        for name in TABLES:
            columns = list(COLUMNS[name])
            compiled = insert(self.tables[name]).compile(
                dialect=connection.dialect, column_keys=columns
            )
            # The rows are tuples in COLUMNS order: the statement must take them in that order.
            assert list(compiled.positiontup or []) == columns, (name, compiled.positiontup)
            self.statements[name] = str(compiled)
        names = ", ".join(COLUMNS[self.STAGED])
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE staged_{self.STAGED} AS SELECT {names} FROM {self.STAGED} WHERE 0"
        )
        self.statements[f"staged_{self.STAGED}"] = self.statements[self.STAGED].replace(
            f"INSERT INTO {self.STAGED} ", f"INSERT INTO temp.staged_{self.STAGED} ", 1
        )
        self.move = (
            f"INSERT INTO {self.STAGED} ({names})"
            f" SELECT {names} FROM temp.staged_{self.STAGED} ORDER BY rowid"
        )

    def _insert(self, name: str, rows: list[Row]) -> None:
        if name != self.STAGED:
            self.connection.exec_driver_sql(self.statements[name], rows)
            return
        self.connection.exec_driver_sql(self.statements[f"staged_{name}"], rows)
        self.connection.exec_driver_sql(self.move)
        self.connection.exec_driver_sql(f"DELETE FROM temp.staged_{name}")

    def finish(self) -> None:
        self.connection.exec_driver_sql(f"DROP TABLE temp.staged_{self.STAGED}")


class CopyWriter(Writer):
    """PostgreSQL: COPY ... FROM STDIN through psycopg, on the same transaction.

    With `fk_checks="rebuild"` (the default), the tables are loaded as pg_restore loads them:
    bare. In the load's own transaction, the foreign keys and secondary indexes of the loaded
    tables are dropped first and made again after the COPYs, so each foreign key is checked
    once for all rows and each index is built in one sort, instead of both per row. The
    definitions come from the catalog (`pg_get_constraintdef`, `pg_indexes`), so what is made
    again is exactly what the migrations made; only the table owner's rights are needed, and
    the rebuild counts as load time. With "row", every row is checked and indexed as it goes in.
    """

    def __init__(self, connection: Connection, *, fk_checks: str = "rebuild") -> None:
        super().__init__(connection)
        self.fk_checks = fk_checks
        self.rebuild: list[str] = []
        if fk_checks == "rebuild":
            self._drop_constraints_and_indexes()

    def _drop_constraints_and_indexes(self) -> None:
        started = time.perf_counter()
        names = list(TABLES)
        foreign_keys = self.connection.exec_driver_sql(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c WHERE c.contype = 'f'"
            " AND c.conrelid::regclass::text = ANY(%(names)s) ORDER BY 1, 2",
            {"names": names},
        ).all()
        indexes = self.connection.exec_driver_sql(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%(names)s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            "   WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "   ::regclass)"
            " ORDER BY 1, 2",
            {"names": names},
        ).all()
        for table, name, _definition in foreign_keys:
            self.connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _table, name, _definition in indexes:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
        self.rebuild = [definition for _table, _name, definition in indexes] + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in foreign_keys
        ]
        self.seconds += time.perf_counter() - started

    def _insert_block(self, name: str, block: Block) -> None:
        data = block.copy_text[name] if name in block.copy_text else copy_text(block.rows[name])
        raw = self.connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            statement = f"COPY {name} ({', '.join(COLUMNS[name])}) FROM STDIN"
            with cursor.copy(statement) as copy:
                copy.write(data)

    def finish(self) -> None:
        if not self.rebuild:
            return
        started = time.perf_counter()
        # Room for the index sorts, for this transaction only.
        self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in self.rebuild:
            self.connection.exec_driver_sql(statement)
        self.table_seconds["indexes and foreign keys"] = time.perf_counter() - started
        self.seconds += time.perf_counter() - started


@dataclass
class LoadReport:
    backend: str
    crossings: int
    rows: dict[str, int]
    load_seconds: float
    insert_seconds: float  # of load_seconds, in the database driver
    # insert_seconds by table (and "indexes and foreign keys": their rebuild after the load)
    table_seconds: dict[str, float]
    documents: int
    documents_seconds: float
    analyze_seconds: float | None
    fk_checks: str

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.load_seconds if self.load_seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "total_rows": self.total_rows,
            "rows_per_second": self.rows_per_second,
        }


def _is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _ensure_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(Crossing)).scalar_one()
        countries = connection.execute(text("SELECT count(*) FROM country")).scalar_one()
    if found or countries:
        raise SystemExit(
            f"{engine.url.render_as_string(hide_password=True)} is not empty "
            f"({countries} countries, {found} crossings): the generator loads an empty database"
        )


def _produce(
    generator: Generator, queue: "multiprocessing.Queue[Block | None]", copy: bool
) -> None:
    """In a child process: every block, in order (as COPY text with `copy`), then None."""

    def made(block: Block) -> Block:
        return block.as_copy_text() if copy else block

    queue.put(made(generator.reference_rows()))
    for k in range(generator.articles()):
        queue.put(made(generator.block(k)))
    queue.put(None)


def blocks(generator: Generator, *, pipeline: bool = True, copy: bool = False) -> Iterator[Block]:
    """The dataset block by block. With `pipeline`, a child process generates the next blocks
    (as COPY text with `copy`) while this one inserts (the machine has a core for each), else
    they are made here."""
    if not pipeline or "fork" not in multiprocessing.get_all_start_methods():
        yield generator.reference_rows()
        for k in range(generator.articles()):
            yield generator.block(k)
        return
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[Block | None] = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(generator, queue, copy), daemon=True)
    child.start()
    try:
        while True:
            try:
                block = queue.get(timeout=1)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the generator process died ({child.exitcode})") from None
                continue
            if block is None:
                break
            yield block
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.terminate()
            child.join()


def load(
    engine: Engine,
    generator: Generator,
    *,
    pipeline: bool = True,
    fk_checks: str = "rebuild",
    progress: Callable[[str], None] = lambda _message: None,
) -> Writer:
    """Every row, in one transaction; returns the writer with its counts and time."""
    articles = generator.articles()
    with engine.connect() as connection:
        sqlite = _is_sqlite(engine)
        if sqlite:
            # For this connection only: no fsync, and room for the indexes being built.
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
            connection.exec_driver_sql("PRAGMA cache_size=-262144")
            connection.exec_driver_sql("PRAGMA temp_store=MEMORY")
            connection.commit()
        try:
            with connection.begin():
                writer: Writer = (
                    SqliteWriter(connection)
                    if sqlite
                    else CopyWriter(connection, fk_checks=fk_checks)
                )
                for n, block in enumerate(blocks(generator, pipeline=pipeline, copy=not sqlite)):
                    writer.write(block)
                    if articles >= 10 and n and n % (articles // 10) == 0:
                        progress(f"  loaded {n}/{articles} articles")
                writer.finish()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
                connection.exec_driver_sql("PRAGMA cache_size=-2000")
                connection.exec_driver_sql("PRAGMA temp_store=DEFAULT")
                connection.commit()
    return writer


def analyze(engine: Engine) -> None:
    """Planner statistics, as autovacuum would gather after a load this size (PostgreSQL)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if not _is_sqlite(engine) else "ANALYZE")


def generate(
    url: str,
    crossings: int,
    *,
    seed: int = 4,
    search_events: bool = False,
    analyze_stats: bool | None = None,
    pipeline: bool = True,
    fk_checks: str = "rebuild",
    progress: Callable[[str], None] = lambda _message: None,
) -> LoadReport:
    """Migrate the empty database at `url`, load N crossings' dataset, build the documents.

    `analyze_stats`: run ANALYZE afterwards; by default on PostgreSQL (autovacuum does it there
    soon after any large load anyway) and not on SQLite (nothing in the service runs it).
    `fk_checks` (PostgreSQL): "rebuild", foreign keys and secondary indexes are dropped for the
    load and made again after it, in its transaction (CopyWriter); "row", the database checks
    and indexes each row as it goes in.
    """
    if fk_checks not in ("row", "rebuild"):
        raise ValueError(f"fk_checks: 'row' or 'rebuild', not {fk_checks!r}")
    migrate(url)
    engine = make_engine(url, pool_size=2)
    try:
        _ensure_empty(engine)
        generator = Generator(crossings, seed, search_events)
        started = time.perf_counter()
        writer = load(engine, generator, pipeline=pipeline, fk_checks=fk_checks, progress=progress)
        load_seconds = time.perf_counter() - started
        progress(f"  loaded {sum(writer.rows.values()):,} rows in {load_seconds:.1f} s")

        started = time.perf_counter()
        with Session(engine) as session:
            # What the seeder rebuilds: stored documents, tallies, status periods, the version.
            documents = refresh_derived(session, Changes(everything=True)).documents
            session.commit()
        documents_seconds = time.perf_counter() - started
        progress(f"  built {documents:,} documents in {documents_seconds:.1f} s")

        analyze_seconds = None
        if analyze_stats if analyze_stats is not None else not _is_sqlite(engine):
            started = time.perf_counter()
            analyze(engine)
            analyze_seconds = time.perf_counter() - started
        return LoadReport(
            backend=engine.dialect.name,
            crossings=crossings,
            rows=writer.rows,
            load_seconds=load_seconds,
            insert_seconds=writer.seconds,
            table_seconds=writer.table_seconds,
            documents=documents,
            documents_seconds=documents_seconds,
            analyze_seconds=analyze_seconds,
            fk_checks=fk_checks if not _is_sqlite(engine) else "row",
        )
    finally:
        engine.dispose()


# --- the self-check -----------------------------------------------------------------------


def _provenance_lists(value: Any) -> Iterator[list[dict[str, Any]]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "provenance":
                yield item
            else:
                yield from _provenance_lists(item)
    elif isinstance(value, list):
        for item in value:
            yield from _provenance_lists(item)


def _check_provenance(value: Any, articles: dict[str, str]) -> int:
    """Every provenance list is non-empty and resolves in its article; how many there were."""
    count = 0
    for provenance in _provenance_lists(value):
        assert provenance, "a record without provenance"
        for p in provenance:
            article = articles[p["source_file"]]
            assert article[p["char_start"] : p["char_end"]] == p["sentence"], p
            assert p["char_start"] <= p["quote_start"] < p["quote_end"] <= p["char_end"], p
            assert article[p["quote_start"] : p["quote_end"]] == p["quote"], p
        count += 1
    return count


def check(crossings: int = 1000) -> None:
    """Generate `crossings` on a fresh SQLite file and check the real API serves it right."""
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    sample = Generator(crossings).block(0)
    for name, rows in sample.rows.items():
        assert copy_text(rows) == copy_text_python(rows), f"COPY text of {name} differs"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT_DIR, prefix="check-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'check.db'}"
        report = generate(url, crossings, progress=print)
        print(f"generated: {report.total_rows:,} rows, {report.rows_per_second:,.0f} rows/s")
        engine = make_engine(url, pool_size=2)
        with engine.connect() as connection:
            articles: dict[str, str] = {
                row[0]: row[1] for row in connection.execute(text("SELECT file, text FROM source"))
            }
            cited = connection.execute(
                text(
                    "SELECT s.source_file, s.char_start, s.char_end, s.text, c.quote,"
                    " c.quote_start, c.quote_end FROM citation c JOIN sentence s"
                    " ON s.source_file = c.source_file AND s.sentence_index = c.sentence_index"
                )
            )
            for file, start, end, sentence, quote, q_start, q_end in cited:
                article = articles[file]
                assert article[start:end] == sentence, (file, start, end)
                assert start <= q_start < q_end <= end and article[q_start:q_end] == quote
            for alias, key in connection.execute(
                text("SELECT alias, alias_key FROM crossing_alias")
            ):
                assert key == app_fold(alias), (alias, key, app_fold(alias))
            for body, terms in connection.execute(text("SELECT body, terms FROM search_document")):
                assert terms == anyascii(body), (body, terms)
            missing = connection.execute(text("SELECT count(*) FROM crossing WHERE doc IS NULL"))
            assert missing.scalar_one() == 0, "crossings without a stored document"
        with Session(engine) as session:
            current = refresh_derived(session, Changes(everything=True))
            assert current == Refreshed(0, 0, 0), f"derived data not current: {current}"
            session.rollback()
        engine.dispose()

        settings = Settings(database_url=url, response_cache=False)
        with TestClient(create_app(settings)) as client:

            def get(path: str) -> Any:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text)
                return response.json()

            page = get("/v1/crossings?country=LV&limit=50")
            assert len(page["data"]) == 50 and page["meta"]["next"], page["meta"]
            assert all("LV" in (c["country"], c["neighbour"]) for c in page["data"])
            assert page["meta"]["total"] == sum(
                1 for i in range(crossings) if BORDERS[i % len(BORDERS)][0] == "LV"
            )
            checked = _check_provenance(page, articles)
            following = get(f"/v1/crossings?country=LV&limit=50&cursor={page['meta']['next']}")
            assert following["data"][0]["id"] > page["data"][-1]["id"]
            crossing_id = page["data"][0]["id"]
            detail = get(f"/v1/crossings/{crossing_id}")
            assert len(detail["history"]) == EVENTS_PER_CROSSING, detail["history"]
            assert detail["history"][-1]["status_after"] == detail["status"]
            checked += _check_provenance(detail, articles)
            restrictions = get("/v1/restrictions?country=EE")
            assert restrictions["data"], "no restriction on EE"
            assert all("EE" in r["countries"] for r in restrictions["data"])
            checked += _check_provenance(restrictions, articles)
            for path in (
                "/v1/crossings?country=LV&status=open&limit=50",
                "/v1/crossings?neighbour=BY&limit=50",
                "/v1/crossings?traffic=rail&limit=50",
                "/v1/crossings?country=LV&as_of=2019-06&limit=20",
                f"/v1/crossings?q={anyascii(detail['name'])}",
                "/v1/borders/LV-RU",
                f"/v1/restrictions/{restrictions['data'][0]['id']}",
                f"/v1/sources/synthetic_00000.txt/sentences/{detail['provenance'][0]['sentence_index']}",
                "/v1/search?q=checkpoint",
            ):
                body = get(path)
                checked += _check_provenance(body, articles)
                if path.startswith("/v1/crossings?q="):
                    assert crossing_id in [c["id"] for c in body["data"]], path
        print(f"check passed: every answer 200, {checked} provenance lists resolved")


# --- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--crossings", type=int, default=1000, help="N (default 1000)")
    parser.add_argument(
        "--database-url",
        help="an empty database (it is migrated first); default a new SQLite file in bench/out/",
    )
    parser.add_argument("--seed", type=int, default=4, help="random seed (default 4)")
    parser.add_argument(
        "--fk-checks",
        choices=("rebuild", "row"),
        default="rebuild",
        help="PostgreSQL: rebuild (default): foreign keys and secondary indexes dropped for the "
        "load and made again after it, as pg_restore does, in the same transaction; row: each "
        "row checked and indexed as it goes in",
    )
    parser.add_argument(
        "--search-events",
        action="store_true",
        help="also make a search document for every event",
    )
    parser.add_argument(
        "--no-pipeline",
        dest="pipeline",
        action="store_false",
        help="generate the rows in this process, between inserts",
    )
    analyze_group = parser.add_mutually_exclusive_group()
    analyze_group.add_argument("--analyze", dest="analyze", action="store_true", default=None)
    analyze_group.add_argument("--no-analyze", dest="analyze", action="store_false")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
    parser.add_argument(
        "--check", action="store_true", help="generate 1k on SQLite and check the API serves it"
    )
    args = parser.parse_args(argv)
    if args.check:
        check()
        return 0
    if args.crossings < 1:
        parser.error("--crossings must be at least 1")
    url = args.database_url
    if url is None:
        path = OUT_DIR / f"generated_{args.crossings}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    backend = make_url(url).get_backend_name()
    say: Callable[[str], None] = (lambda m: print(m, file=sys.stderr)) if args.json else print
    say(f"generating {args.crossings:,} crossings into {backend}")
    report = generate(
        url,
        args.crossings,
        seed=args.seed,
        search_events=args.search_events,
        analyze_stats=args.analyze,
        pipeline=args.pipeline,
        fk_checks=args.fk_checks,
        progress=say,
    )
    if args.json:
        print(json.dumps(report.as_json()))
        return 0
    for table, count in report.rows.items():
        spent = report.table_seconds.get(table, 0.0)
        print(f"  {table:<20} {count:>10,} rows {spent:7.2f} s")
    rebuilt = report.table_seconds.get("indexes and foreign keys")
    if rebuilt is not None:
        print(f"  {'indexes and foreign keys, rebuilt':<36} {rebuilt:7.2f} s")
    print(f"rows loaded: {report.total_rows:,}")
    print(
        f"load: {report.load_seconds:.2f} s ({report.insert_seconds:.2f} s in the driver), "
        f"{report.rows_per_second:,.0f} rows/s"
    )
    print(f"documents: {report.documents:,} built in {report.documents_seconds:.2f} s")
    if report.analyze_seconds is not None:
        print(f"analyze: {report.analyze_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
