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
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit_schemas import AuditEntryOut
from app.dated import FRESHNESS, today
from app.db.session import close_quietly
from app.kinds import CROSSING, FORTIFICATION, RESTRICTION, Kind
from app.models import Border, Country, Event, Fact, Source
from app.presenters.borders import borders as present_borders
from app.presenters.evidence import events as present_events
from app.presenters.evidence import facts as present_facts
from app.presenters.records import documents_of, listed_on_date, record_id
from app.presenters.sources import source_out
from app.queries.borders import borders as stored_borders
from app.queries.borders import countries as stored_countries
from app.queries.events import Timeline, events_after
from app.queries.facts import facts_after
from app.queries.lists import ListFilter, documents_after, on_date, record_filter
from app.queries.sources import sources as stored_sources
from app.queries.store import row_count
from app.schemas import (
    BorderOut,
    ClaimOut,
    CountryOut,
    CrossingOut,
    EventOut,
    FortificationOut,
    RestrictionOut,
    SourceOut,
)
from app.search_schemas import SearchHit

# Records per batch: one query (and a few for their citations) each. A batch of documents is
# about half a megabyte; what an export holds stays under 2 MB. The first is smaller: the first
# bytes go out sooner.
BATCH = 250
FIRST_BATCH = 25

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
    engine: Engine, fetch: Callable[[Session, K | None, int], tuple[list[str], K | None]]
) -> Batches:
    """The batches `fetch(session, after, limit)` gives, each in a session of its own: up to
    `FIRST_BATCH` records in the first two (read before anything is sent), `BATCH` after. It
    returns each and the key to read on after (None: the last). An empty one is skipped."""
    after: K | None = None
    read = 0
    while True:
        session = Session(engine)
        try:
            batch, after = fetch(session, after, FIRST_BATCH if read < 2 else BATCH)
        finally:
            close_quietly(session)
        read += 1
        if batch:
            yield batch
        if after is None:
            return


def rendered(outs: Iterable[BaseModel]) -> list[str]:
    return [out.model_dump_json() for out in outs]


# --- what exports read ----------------------------------------------------------------------------


def documents(engine: Engine, list_filter: ListFilter) -> Batches:
    """The stored documents of a list's crossings, restrictions or fortifications."""

    def fetch(session: Session, after: str | None, limit: int) -> tuple[list[str], str | None]:
        rows = documents_after(session, list_filter, after=after or "", limit=limit)
        docs = [doc for _id, doc in rows if doc is not None]
        if len(docs) < len(rows):
            docs = documents_of(session, list_filter.kind, rows)
        on = today()
        docs = [FRESHNESS.restamp(doc, on) for doc in docs]
        return docs, rows[-1][0] if len(rows) == limit else None

    return in_batches(engine, fetch)


def as_of(engine: Engine, list_filter: ListFilter, *, date: dt.date) -> Batches:
    """A list's records as they stood on `date` (`list_filter` says which are listed then),
    each with its status then, from its history."""

    def fetch(session: Session, after: str | None, limit: int) -> tuple[list[str], str | None]:
        outs, _ = listed_on_date(session, list_filter, date=date, after=after, limit=limit)
        return rendered(outs), record_id(outs[-1]) if len(outs) == limit else None

    return in_batches(engine, fetch)


def events(engine: Engine, timeline: Timeline) -> Batches:
    """The timeline's events, oldest first, with their provenance."""

    def fetch(
        session: Session, after: tuple[dt.date, str] | None, limit: int
    ) -> tuple[list[str], tuple[dt.date, str] | None]:
        rows = events_after(session, timeline, after=after, limit=limit)
        last = (rows[-1].date_start, rows[-1].id) if len(rows) == limit else None
        return rendered(present_events(session, rows)), last

    return in_batches(engine, fetch)


def facts(engine: Engine, *, disputed_only: bool = False) -> Batches:
    """Facts (or the disputed ones), each claim with its provenance."""

    def fetch(session: Session, after: str | None, limit: int) -> tuple[list[str], str | None]:
        rows = facts_after(session, disputed_only=disputed_only, after=after, limit=limit)
        last = rows[-1].id if len(rows) == limit else None
        return rendered(present_facts(session, rows)), last

    return in_batches(engine, fetch)


def whole(engine: Engine, read: Callable[[Session], Sequence[BaseModel]]) -> Batches:
    """A list small enough to be one batch whatever the store holds (countries, borders,
    sources: a row per country, border or article)."""

    def fetch(session: Session, _after: None, _limit: int) -> tuple[list[str], None]:
        return rendered(read(session)), None

    return in_batches(engine, fetch)


def countries(session: Session) -> list[CountryOut]:
    return [CountryOut(code=c.code, name=c.name, role=c.role) for c in stored_countries(session)]


def borders(session: Session, as_of: dt.date | None = None) -> list[BorderOut]:
    return present_borders(session, stored_borders(session), as_of)


def sources(session: Session) -> list[SourceOut]:
    return [source_out(source, n) for source, n in stored_sources(session)]


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


def _columns(model: type[BaseModel]) -> tuple[str, ...]:
    """An answer's fields as CSV columns, in its order: a nested object's fields as dotted
    paths; provenance, and lists of objects (a border's facts), left out."""
    columns: list[str] = []
    for name, info in model.model_fields.items():
        nested = _model_in(info.annotation)
        if name == "provenance" or (nested is None and _model_in(get_args(info.annotation))):
            continue
        if nested is not None:
            columns += [f"{name}.{sub}" for sub in _columns(nested)]
        else:
            columns.append(name)
    return tuple(columns)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation is (or, for `X | None`, holds), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, tuple) or get_origin(annotation) in (Union, types.UnionType):
        args = annotation if isinstance(annotation, tuple) else get_args(annotation)
        return next((m for a in args if (m := _model_in(a)) is not None), None)
    if get_origin(annotation) is list:
        return _model_in(get_args(annotation)[0])
    return None


CROSSINGS = Table("crossings", _columns(CrossingOut))
RESTRICTIONS = Table("restrictions", _columns(RestrictionOut))
FORTIFICATIONS = Table("fortifications", _columns(FortificationOut))
# A border's facts have claims with provenance of their own: they are in the facts' CSV.
BORDERS = Table("borders", _columns(BorderOut))
# A fact's preferred value comes before the reason it is preferred.
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
    claim_fields=_columns(ClaimOut),
)
# The disputed facts, as `/v1/conflicts` lists them.
CONFLICTS = replace(FACTS, name="conflicts")
EVENTS = Table("events", _columns(EventOut))
# Reference data and the articles themselves carry no provenance.
COUNTRIES = Table("countries", _columns(CountryOut), cited=False)
SOURCES = Table("sources", _columns(SourceOut), cited=False)
SEARCH = Table("search", _columns(SearchHit), cited=False)
AUDIT = Table("audit", _columns(AuditEntryOut), cited=False)


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
class ExportKind:
    """A kind of record in the bulk export: its line `type`, its CSV, where it is read from,
    and the table whose rows it counts."""

    name: ExportType
    line_type: str
    table: Table
    # The kind's records, as they stood on a date when given.
    batches: Callable[[Engine, dt.date | None], Batches]
    model: Any

    def count(self, engine: Engine) -> int:
        with Session(engine) as session:
            return row_count(session, self.model)


def _records(kind: Kind) -> Callable[[Engine, dt.date | None], Batches]:
    def read(engine: Engine, date: dt.date | None) -> Batches:
        if date is None:
            return documents(engine, record_filter(kind))
        listed = record_filter(kind)
        if not kind.listed_when_unknown:
            listed = on_date(listed, date)
        return as_of(engine, listed, date=date)

    return read


KINDS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind("countries", "country", COUNTRIES, lambda e, _: whole(e, countries), Country),
        ExportKind("sources", "source", SOURCES, lambda e, _: whole(e, sources), Source),
        ExportKind(
            "borders", "border", BORDERS, lambda e, d: whole(e, partial(borders, as_of=d)), Border
        ),
        *(
            ExportKind(kind.path, kind.name, table, _records(kind), kind.model)  # type: ignore[arg-type]
            for kind, table in (
                (CROSSING, CROSSINGS),
                (RESTRICTION, RESTRICTIONS),
                (FORTIFICATION, FORTIFICATIONS),
            )
        ),
        ExportKind("facts", "fact", FACTS, lambda e, _: facts(e), Fact),
        ExportKind("events", "event", EVENTS, lambda e, d: events(e, Timeline(date_to=d)), Event),
    )
}


def ndjson_lines(line_type: str, records: Iterable[str]) -> bytes:
    """Each record (a JSON object's text) on a line of its own, with `type` first."""
    prefix = ('{"type":' + json.dumps(line_type) + ",").encode()
    return b"".join(prefix + text[1:].encode() + b"\n" for text in records)


def ndjson_chunks(
    engine: Engine, kinds: Iterable[ExportKind], as_of: dt.date | None = None
) -> Iterator[Chunk]:
    """Every record of each kind, in that order, a chunk per batch: as they stood on `as_of`
    when given (the records a source covers by then, the events up to it)."""
    for kind in kinds:
        for batch in kind.batches(engine, as_of):
            yield Chunk(kind.name, len(batch), ndjson_lines(kind.line_type, batch))


def kind_named(name: str) -> ExportKind:
    """The export kind `name` names: its plural (`crossings`) or its lines' `type` (`crossing`)."""
    return KINDS.get(name) or next(kind for kind in KINDS.values() if kind.line_type == name)
