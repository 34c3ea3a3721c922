"""Exports: every record of a list, or of the whole store, read in keyset batches and encoded
as it is read, so memory stays bounded by one batch whatever the store holds.

- A *source* yields batches of records as the API serves them (each a JSON object's text:
  a stored document as it is, or a presented record). Every batch is read in a short
  session of its own, closed before the batch is handed on; nothing is held between them.
- `csv_chunks` turns a source into CSV with a `Table`'s columns: one row per citation.
- `ndjson_chunks` turns the sources of `KINDS` into one JSON object per line, each with its
  `type`. `GET /v1/export.ndjson`, the lists' CSV and `borderstatus export` all use them.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import presenters, queries
from app.db import close_quietly
from app.documents import fill_missing
from app.history import StatusOnDate
from app.models import (
    Border,
    Country,
    Crossing,
    Event,
    Fact,
    Fortification,
    Restriction,
    Source,
)
from app.schemas import BorderOut, CountryOut, SourceOut

# Records per batch: one query (and a few for their citations) per batch. A batch of stored
# documents is about half a megabyte, and what an export holds at once stays under 2 MB.
BATCH = 250

K = TypeVar("K")
Batches = Iterator[list[str]]
ExportType = Literal[
    "countries",
    "sources",
    "borders",
    "crossings",
    "restrictions",
    "fortifications",
    "facts",
    "events",
]


@dataclass(frozen=True)
class Chunk:
    """Encoded bytes of an export, and how many records of which kind they hold."""

    kind: str
    records: int
    data: bytes


def in_batches(
    engine: Engine, fetch: Callable[[Session, K | None], tuple[list[str], K | None]]
) -> Batches:
    """The batches `fetch(session, after)` gives, each in a session of its own.

    `fetch` returns a batch and the key to read the next one after, or None after the last.
    An empty batch (all filtered out) is skipped, and reading goes on.
    """
    after: K | None = None
    while True:
        session = Session(engine)
        try:
            batch, after = fetch(session, after)
        finally:
            close_quietly(session)
        if batch:
            yield batch
        if after is None:
            return


def rendered(outs: Iterable[BaseModel]) -> list[str]:
    return [out.model_dump_json() for out in outs]


# --- what exports read ----------------------------------------------------------------------------


def documents(engine: Engine, list_filter: queries.ListFilter) -> Batches:
    """The stored documents of a list's crossings, restrictions or fortifications."""

    def fetch(session: Session, after: str | None) -> tuple[list[str], str | None]:
        rows = queries.documents_after(session, list_filter, after=after or "", limit=BATCH)
        docs = [doc for _id, doc in rows if doc is not None]
        if len(docs) < len(rows):
            docs = fill_missing(session, list_filter.model, rows)
        return docs, rows[-1][0] if len(rows) == BATCH else None

    return in_batches(engine, fetch)


Present = Callable[[Session, list[Any], dict[str, StatusOnDate | None]], Sequence[BaseModel]]


def as_of(
    engine: Engine,
    list_filter: queries.ListFilter,
    *,
    date: dt.date,
    present: Present,
) -> Batches:
    """A list's records as they stood on `date` (`list_filter` says which are listed then):
    `present` gets each batch with its records' statuses from their histories."""

    def fetch(session: Session, after: str | None) -> tuple[list[str], str | None]:
        rows = queries.records_after(session, list_filter=list_filter, after=after, limit=BATCH)
        statuses = presenters.statuses_at(session, rows, as_of=date)
        batch = rendered(present(session, rows, statuses)) if rows else []
        return batch, rows[-1].id if len(rows) == BATCH else None

    return in_batches(engine, fetch)


def events(
    engine: Engine,
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
) -> Batches:
    """The timeline's events, oldest first, with their provenance."""

    def fetch(
        session: Session, after: tuple[dt.date, str] | None
    ) -> tuple[list[str], tuple[dt.date, str] | None]:
        rows = queries.events_after(
            session,
            country=country,
            date_from=date_from,
            date_to=date_to,
            kind=kind,
            after=after,
            limit=BATCH,
        )
        last = (rows[-1].date_start, rows[-1].id) if len(rows) == BATCH else None
        return rendered(presenters.events(session, rows)), last

    return in_batches(engine, fetch)


def facts(engine: Engine, *, disputed_only: bool = False) -> Batches:
    """Facts (or the disputed ones), each claim with its provenance."""

    def fetch(session: Session, after: str | None) -> tuple[list[str], str | None]:
        rows = queries.facts_after(session, disputed_only=disputed_only, after=after, limit=BATCH)
        last = rows[-1].id if len(rows) == BATCH else None
        return rendered(presenters.facts(session, rows)), last

    return in_batches(engine, fetch)


def whole(engine: Engine, read: Callable[[Session], Sequence[BaseModel]]) -> Batches:
    """A list small enough to be one batch whatever the store holds (countries, borders,
    sources: a row per country, border or article)."""

    def fetch(session: Session, _after: None) -> tuple[list[str], None]:
        return rendered(read(session)), None

    return in_batches(engine, fetch)


def countries(session: Session) -> list[CountryOut]:
    return [CountryOut(code=c.code, name=c.name, role=c.role) for c in queries.countries(session)]


def borders(session: Session) -> list[BorderOut]:
    return presenters.borders(session, queries.borders(session))


def sources(session: Session) -> list[SourceOut]:
    return [presenters.source_out(source, n) for source, n in queries.sources(session)]


# --- CSV ------------------------------------------------------------------------------------

PROVENANCE_COLUMNS = ("citation", "source_file", "sentence_index", "sentence", "quote")


def cell(value: Any) -> str:
    """A JSON value as a CSV cell: lists joined with "; ", JSON's spelling of true, false and
    null (empty), nested objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class Table:
    """The CSV form of one kind of record: its fields as columns (a dotted path reads a nested
    object, `subject.type` is the column `subject_type`), then, when `cited`, one row per
    citation of its provenance. With `claim_fields`, one row per claim x citation (facts)."""

    name: str
    fields: tuple[str, ...]
    claim_fields: tuple[str, ...] = ()
    cited: bool = True

    @property
    def header(self) -> list[str]:
        return [
            *(f.replace(".", "_") for f in self.fields),
            *(f"claim_{f}" for f in self.claim_fields),
            *(PROVENANCE_COLUMNS if self.cited else ()),
        ]

    def rows(self, record: dict[str, Any]) -> Iterator[list[str]]:
        base = [cell(_get(record, f)) for f in self.fields]
        if not self.cited:
            yield base
            return
        holders: list[tuple[list[str], dict[str, Any]]] = [(base, record)]
        if self.claim_fields:
            claims = record.get("claims") or [{}]
            holders = [(base + [cell(_get(c, f)) for f in self.claim_fields], c) for c in claims]
        for prefix, holder in holders:
            citations = holder.get("provenance") or []
            if not citations:
                yield prefix + [""] * len(PROVENANCE_COLUMNS)
            for n, cited in enumerate(citations, start=1):
                yield prefix + [
                    str(n),
                    cited["source_file"],
                    str(cited["sentence_index"]),
                    cited["sentence"],
                    cited["quote"],
                ]


CROSSINGS = Table(
    "crossings",
    (
        "id",
        "name",
        "counterpart",
        "aliases",
        "country",
        "neighbour",
        "border_id",
        "status",
        "traffic",
        "status_since",
        "status_since_inferred",
        "status_since_note",
        "notes",
    ),
)
RESTRICTIONS = Table(
    "restrictions",
    (
        "id",
        "kind",
        "summary",
        "countries",
        "status",
        "since",
        "since_inferred",
        "since_note",
        "until",
    ),
)
FORTIFICATIONS = Table(
    "fortifications",
    (
        "id",
        "country",
        "countries",
        "neighbour",
        "kind",
        "summary",
        "status",
        "length_km",
        "budget_eur",
        "count",
        "completion",
        "completion_inferred",
        "completion_note",
    ),
)
# A border's facts have claims with provenance of their own: they are in the facts' CSV.
BORDERS = Table(
    "borders",
    (
        "id",
        "country",
        "neighbour",
        "status",
        "status_since",
        "status_since_inferred",
        "status_since_note",
        "summary",
        "crossing_counts.open",
        "crossing_counts.closed",
        "crossing_counts.restricted",
        "crossing_counts.unknown",
        "disputed",
    ),
)
FACTS = Table(
    "facts",
    (
        "id",
        "subject.type",
        "subject.id",
        "topic",
        "summary",
        "unit",
        "disputed",
        "preferred_value",
        "preferred_reason",
    ),
    claim_fields=("value", "value_num", "preferred", "note"),
)
# The disputed facts, as `/v1/conflicts` lists them.
CONFLICTS = replace(FACTS, name="conflicts")
EVENTS = Table(
    "events",
    (
        "id",
        "date",
        "date_inferred",
        "date_note",
        "kind",
        "summary",
        "countries",
        "subject.type",
        "subject.id",
        "status_before",
        "status_after",
    ),
)
# Reference data and the articles themselves carry no provenance.
COUNTRIES = Table("countries", ("code", "name", "role"), cited=False)
SOURCES = Table(
    "sources",
    (
        "file",
        "sha256",
        "title",
        "publisher",
        "published",
        "published_inferred",
        "published_note",
        "sentence_count",
    ),
    cited=False,
)
SEARCH = Table("search", ("type", "id", "title", "text", "url"), cited=False)
AUDIT = Table(
    "audit",
    (
        "id",
        "at",
        "curator",
        "method",
        "path",
        "action",
        "record_type",
        "record_id",
        "before",
        "after",
    ),
    cited=False,
)


def encode_rows(rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def csv_records(table: Table, records: Iterable[str]) -> bytes:
    """CSV rows of records (JSON texts), without the header."""
    return encode_rows(row for text in records for row in table.rows(json.loads(text)))


def csv_chunks(table: Table, batches: Batches) -> Iterator[Chunk]:
    """The header, then a chunk of rows per batch."""
    yield Chunk(table.name, 0, encode_rows([table.header]))
    for batch in batches:
        yield Chunk(table.name, len(batch), csv_records(table, batch))


# --- NDJSON ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of record in the bulk export: its line `type`, its CSV, where it is read from,
    and the table whose rows it counts."""

    name: ExportType
    line_type: str
    table: Table
    batches: Callable[[Engine], Batches]
    model: Any

    def count(self, engine: Engine) -> int:
        with Session(engine) as session:
            return queries.row_count(session, self.model)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("countries", "country", COUNTRIES, lambda e: whole(e, countries), Country),
        Kind("sources", "source", SOURCES, lambda e: whole(e, sources), Source),
        Kind("borders", "border", BORDERS, lambda e: whole(e, borders), Border),
        Kind(
            "crossings",
            "crossing",
            CROSSINGS,
            lambda e: documents(e, queries.crossing_filter()),
            Crossing,
        ),
        Kind(
            "restrictions",
            "restriction",
            RESTRICTIONS,
            lambda e: documents(e, queries.restriction_filter()),
            Restriction,
        ),
        Kind(
            "fortifications",
            "fortification",
            FORTIFICATIONS,
            lambda e: documents(e, queries.fortification_filter()),
            Fortification,
        ),
        Kind("facts", "fact", FACTS, facts, Fact),
        Kind("events", "event", EVENTS, events, Event),
    )
}


def ndjson_lines(line_type: str, records: Iterable[str]) -> bytes:
    """Each record (a JSON object's text) on a line of its own, with `type` first."""
    prefix = ('{"type":' + json.dumps(line_type) + ",").encode()
    return b"".join(prefix + text[1:].encode() + b"\n" for text in records)


def ndjson_chunks(engine: Engine, kinds: Iterable[Kind]) -> Iterator[Chunk]:
    """Every record of each kind, in that order, a chunk per batch."""
    for kind in kinds:
        for batch in kind.batches(engine):
            yield Chunk(kind.name, len(batch), ndjson_lines(kind.line_type, batch))
