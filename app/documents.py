"""Derived data: what every write must keep in line with the records, in its own transaction.

- Each record as the API serves it, stored beside the record so a list can send it unchanged
  (the presenters build it from the record, its citations, aliases and countries).
- The search documents of records, events and sentences (full-text indexed by triggers on
  SQLite and an expression index on PostgreSQL).
- The tallies behind list totals (crossings and restrictions per filter value).
- The data version every worker watches.

Every writer calls `refresh_derived` once, after its rows are written and before it commits.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app import presenters, queries
from app.models import (
    Crossing,
    CrossingTally,
    CrossingTraffic,
    Event,
    Fortification,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
    SearchDocument,
    Source,
    StatusPeriod,
)

Documented = Crossing | Restriction | Fortification
# (record type, the values of its group's columns): see `Tally`.
TallyGroup = tuple[str, tuple[str, ...]]
Presenter = Callable[[Session, Sequence[Any]], Sequence[BaseModel]]

# Models are typed loosely: SQLModel gives a union of table classes no common `select` type.
PRESENTERS: list[tuple[Any, Presenter]] = [
    (Crossing, presenters.crossings),
    (Restriction, presenters.restrictions),
    (Fortification, presenters.fortifications),
]


MODELS: dict[str, Any] = {
    "crossing": Crossing,
    "restriction": Restriction,
    "fortification": Fortification,
}


@dataclass(frozen=True)
class Changes:
    """What a write changed: the derived data of exactly these is rebuilt."""

    # (record type, id) of crossings, restrictions and fortifications.
    records: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    events: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    # The seeder: it rewrote rows anywhere, so every stored document is compared.
    everything: bool = False
    rows_changed: bool = False
    # The tally groups the records counted in before the write (`tally_groups`): a record
    # that moved out of a group must leave its count.
    counted_before: frozenset[TallyGroup] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.records or self.events or self.sources or self.rows_changed)


@dataclass(frozen=True)
class Refreshed:
    """What `refresh_derived` rewrote: stored documents, tally rows and status periods."""

    documents: int
    tallies: int
    periods: int = 0


def refresh_derived(session: Session, changes: Changes) -> Refreshed:
    """Bring the derived data in line after a write, in its transaction, and tell every
    worker the data changed.

    Only what `changes` names is rebuilt (a write touches a few records; the whole store can
    hold 100k). The seeder passes `everything`; its search documents are part of its plan.
    The tallies are recounted in the groups the records count in now or did before
    (`Changes.counted_before`), so a write's recount is bounded by its groups, not the store.
    """
    if changes.everything:
        rebuilt = refresh_documents(session)
        tallied = refresh_tallies(session)
        periods = refresh_periods(session)
    else:
        rebuilt = refresh_documents_of(session, changes.records)
        upsert_search_documents(session, _search_documents_of(session, changes))
        groups = changes.counted_before | tally_groups(session, changes.records)
        tallied = refresh_tallies(session, groups) if groups else 0
        periods = refresh_periods(session, changes.records)
    if changes or rebuilt or tallied or periods:
        bump_data_version(session)
    return Refreshed(rebuilt, tallied, periods)


def search_document(doc_type: str, doc_id: str, title: str, *words: str | None) -> SearchDocument:
    """One searchable text; `terms`, what the index reads, is the words folded to ASCII."""
    body = " ".join(w for w in words if w)
    return SearchDocument(
        doc_type=doc_type, doc_id=doc_id, title=title, body=body, terms=anyascii(body)
    )


def crossing_search_document(
    crossing: Any, aliases: Iterable[str], notes: str | None
) -> SearchDocument:
    """A crossing's words: its names, every alias and its notes (from a record or a row)."""
    return search_document(
        "crossing",
        crossing.id,
        crossing.name,
        crossing.name,
        crossing.counterpart,
        " ".join(aliases),
        notes,
    )


def _ids_by_type(records: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(record type, id) pairs as each type's ids, in order."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, record_id in sorted(records):
        by_type[record_type].append(record_id)
    return by_type


def _search_documents_of(session: Session, changes: Changes) -> list[SearchDocument]:
    by_type = _ids_by_type(changes.records)
    docs: list[SearchDocument] = []
    crossings = _rows(session, Crossing, by_type["crossing"])
    aliases = queries.load_aliases(session, crossing_ids=[c.id for c in crossings])
    docs += [crossing_search_document(c, aliases.get(c.id, []), c.notes) for c in crossings]
    for record_type in ("restriction", "fortification"):
        for row in _rows(session, MODELS[record_type], by_type[record_type]):
            docs.append(search_document(record_type, row.id, row.summary, row.summary))
    for event in _rows(session, Event, sorted(changes.events)):
        docs.append(search_document("event", event.id, event.summary, event.summary))
    for file in sorted(changes.sources):
        source = session.get(Source, file)
        if source is None:
            continue
        for s in queries.sentences_of(session, file=file):
            docs.append(
                search_document("sentence", f"{file}#{s.sentence_index}", source.title, s.text)
            )
    return docs


def _rows(session: Session, model: Any, ids: Sequence[str]) -> list[Any]:
    if not ids:
        return []
    return list(session.exec(select(model).where(col(model.id).in_(ids)).order_by(col(model.id))))


def upsert_search_documents(session: Session, docs: Sequence[SearchDocument]) -> None:
    """Insert or update search documents by (type, id); the full-text index follows."""
    wanted: dict[str, list[SearchDocument]] = defaultdict(list)
    for doc in docs:
        wanted[doc.doc_type].append(doc)
    for doc_type, group in wanted.items():
        stored = {
            d.doc_id: d
            for d in session.exec(
                select(SearchDocument).where(
                    SearchDocument.doc_type == doc_type,
                    col(SearchDocument.doc_id).in_([d.doc_id for d in group]),
                )
            )
        }
        for doc in group:
            current = stored.get(doc.doc_id)
            if current is None:
                session.add(doc)
            elif (current.title, current.body) != (doc.title, doc.body):
                current.title, current.body, current.terms = doc.title, doc.body, doc.terms
    session.flush()


def render(out: BaseModel) -> str:
    return out.model_dump_json()


def refresh_documents(session: Session, *, batch: int = 1000) -> int:
    """Rebuild every stored document that differs from its record; the number rewritten."""
    changed = 0
    for model, present in PRESENTERS:
        for rows in _batches(session, model, batch):
            for row, out in zip(rows, present(session, rows), strict=True):
                doc = render(out)
                if row.doc != doc:
                    row.doc = doc
                    changed += 1
            session.flush()
    return changed


# The records `as_of` lists filter by status: their status periods are stored.
PERIODS: dict[str, Any] = {"crossing": Crossing, "restriction": Restriction}


def refresh_periods(
    session: Session, records: Iterable[tuple[str, str]] | None = None, *, batch: int = 1000
) -> int:
    """Bring the status periods of these (record type, id) records, or of every record, in
    line with their histories; the rows written or deleted."""
    changed = 0
    by_type = _ids_by_type(records or ())
    for record_type, model in PERIODS.items():
        if records is not None:
            # A write's few records: their stored periods are looked up by primary key.
            ids = by_type.get(record_type, [])
            if ids:
                changed += _sync_periods(session, record_type, _rows(session, model, ids))
            continue
        of_type = col(StatusPeriod.record_type) == record_type
        # Nothing stored yet (a new store, or the migration that adds them): nothing to
        # compare with, and no lookups in a table that grows as this runs, which PostgreSQL,
        # with no statistics for it yet, answered by scanning it whole for each batch.
        stored = bool(session.execute(sa_select(exists().where(of_type))).scalar())
        # Periods of records that are gone (the seeder removes what its file no longer has).
        gone = session.execute(
            delete(StatusPeriod).where(
                of_type, ~exists().where(col(model.id) == col(StatusPeriod.record_id))
            )
        )
        changed += gone.rowcount  # type: ignore[attr-defined]
        for rows in _batches(session, model, batch):
            changed += _sync_periods(session, record_type, rows, compare=stored)
    session.flush()
    return changed


def _batches(session: Session, model: Any, size: int) -> Iterator[list[Any]]:
    after = ""
    while rows := list(
        session.exec(select(model).where(col(model.id) > after).order_by(col(model.id)).limit(size))
    ):
        yield rows
        after = rows[-1].id


def _sync_periods(
    session: Session, record_type: str, rows: Sequence[Any], *, compare: bool = True
) -> int:
    """Rewrite the periods of those of `rows` whose stored periods differ, or with `compare`
    false (none are stored) write them all (Core statements: a full rebuild writes about 11
    rows a record)."""
    if not rows:
        return 0
    wanted = presenters.listed_periods(session, rows)
    stored: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    period = StatusPeriod.__table__  # type: ignore[attr-defined]
    if compare:
        for record_id, *span in session.execute(
            sa_select(
                period.c.record_id, period.c.valid_from, period.c.valid_until, period.c.status
            )
            .where(
                period.c.record_type == record_type,
                period.c.record_id.in_([row.id for row in rows]),
            )
            .order_by(period.c.record_id, period.c.valid_from)
        ):
            stored[record_id].append(tuple(span))
    stale = [row.id for row in rows if stored.get(row.id, []) != wanted.get(row.id, [])]
    if not stale:
        return 0
    replaced = [record_id for record_id in stale if record_id in stored]
    if replaced:
        session.execute(
            delete(period).where(
                period.c.record_type == record_type, period.c.record_id.in_(replaced)
            )
        )
    new = [
        {
            "record_type": record_type,
            "record_id": record_id,
            "valid_from": begin,
            "valid_until": end,
            "status": status,
        }
        for record_id in stale
        for begin, end, status in wanted.get(record_id, [])
    ]
    if new:
        session.execute(insert(period), new)
    return sum(len(stored.get(i, [])) for i in stale) + len(new)


def refresh_documents_of(session: Session, records: Iterable[tuple[str, str]]) -> int:
    """Rebuild the stored documents of these records only; the number rewritten."""
    by_type = _ids_by_type(records)
    changed = 0
    for model, present in PRESENTERS:
        rows = _rows(session, model, by_type.get(model.__tablename__, []))
        for row, out in zip(rows, present(session, rows), strict=True):
            doc = render(out)
            if row.doc != doc:
                row.doc = doc
                changed += 1
    session.flush()
    return changed


def fill_missing(session: Session, model: Any, page: Sequence[tuple[str, str | None]]) -> list[str]:
    """The documents of a page of (id, document) rows, building any not stored yet."""
    missing = [record_id for record_id, doc in page if doc is None]
    built: dict[str, str] = {}
    if missing:
        present = dict(PRESENTERS)[model]
        rows = list(session.exec(select(model).where(col(model.id).in_(missing))))
        built = {r.id: render(out) for r, out in zip(rows, present(session, rows), strict=True)}
    return [doc if doc is not None else built[record_id] for record_id, doc in page]


def _in_groups(columns: Sequence[Any], groups: Iterable[tuple[str, ...]]) -> ColumnElement[bool]:
    """Rows whose `columns` hold the values of one of `groups`."""
    return or_(*(and_(*(c == v for c, v in zip(columns, g, strict=True))) for g in groups))


def _crossing_tallies(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[tuple[str, ...], int]:
    side = (col(Crossing.country), col(Crossing.neighbour), col(Crossing.status))
    tallies: dict[tuple[str, ...], int] = {}
    for country, neighbour, status, n in session.execute(
        sa_select(*side, func.count()).where(*where).group_by(*side)
    ):
        tallies[(country, neighbour, status, "")] = n
    by_mode = (*side, col(CrossingTraffic.mode))
    for country, neighbour, status, mode, n in session.execute(
        sa_select(*by_mode, func.count())
        .join(CrossingTraffic, col(CrossingTraffic.crossing_id) == col(Crossing.id))
        .where(*where)
        .group_by(*by_mode)
    ):
        tallies[(country, neighbour, status, mode)] = n
    return tallies


def _restriction_tallies(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> dict[tuple[str, ...], int]:
    what = (col(Restriction.kind), col(Restriction.status))
    tallies: dict[tuple[str, ...], int] = {}
    for kind, status, n in session.execute(
        sa_select(*what, func.count()).where(*where).group_by(*what)
    ):
        tallies[("", kind, status)] = n
    by_country = (col(RestrictionCountry.country), *what)
    for country, kind, status, n in session.execute(
        sa_select(*by_country, func.count())
        .join(RestrictionCountry, col(RestrictionCountry.restriction_id) == col(Restriction.id))
        .where(*where)
        .group_by(*by_country)
    ):
        tallies[(country, kind, status)] = n
    return tallies


@dataclass(frozen=True)
class Tally:
    """A tally table: the records it counts (`count` of those matching a filter), and the
    columns of a group, which one recount covers (the record's, and the tally rows' of the
    same name)."""

    model: Any
    record_type: str
    group_names: tuple[str, ...]
    count: Callable[[Session, Sequence[ColumnElement[bool]]], dict[tuple[str, ...], int]]

    def of(self, model: Any, groups: Iterable[tuple[str, ...]]) -> ColumnElement[bool]:
        """`model`'s rows in one of `groups`."""
        return _in_groups([getattr(model, name) for name in self.group_names], groups)


# A crossing counts in its (country, status) group, per neighbour and once per traffic mode
# too; a restriction in its (kind, status) group, once per country too. Each group is read off
# the index that leads with its columns: `(country, status, id)` for crossings.
TALLIES = [
    Tally(CrossingTally, "crossing", ("country", "status"), _crossing_tallies),
    Tally(RestrictionTally, "restriction", ("kind", "status"), _restriction_tallies),
]
# Any constant that is ours alone: the key of PostgreSQL's advisory lock on recounting tallies.
TALLY_LOCK_KEY = 0x74616C6C


def refresh_tallies(session: Session, groups: Iterable[TallyGroup] | None = None) -> int:
    """Bring the tally tables in line with the records they count, in `groups` or else
    everywhere; the rows changed.

    One grouped count per table, over the groups' records only (a write's, through the
    indexes that lead with their columns). On PostgreSQL the recounts of concurrent writes
    take turns until each commits: a count that ran beside another write's uncommitted change
    would be stored over the count that includes it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TALLY_LOCK_KEY})
    wanted_groups: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for record_type, group in groups or ():
        wanted_groups[record_type].add(group)
    changed = 0
    for tally in TALLIES:
        within: set[tuple[str, ...]] | None = None
        if groups is not None:
            within = wanted_groups.get(tally.record_type)
            if not within:
                continue
        keys = [c.key for c in tally.model.__table__.primary_key.columns]
        existing = select(tally.model)
        if within is None:
            wanted = tally.count(session, [])
        else:
            wanted = tally.count(session, [tally.of(MODELS[tally.record_type], within)])
            existing = existing.where(tally.of(tally.model, within))
        for row in session.exec(existing).all():
            n = wanted.pop(tuple(getattr(row, k) for k in keys), None)
            if n is None:
                session.delete(row)
            elif row.n != n:
                row.n = n
            else:
                continue
            changed += 1
        for key, n in wanted.items():
            session.add(tally.model(**dict(zip(keys, key, strict=True)), n=n))
            changed += 1
    session.flush()
    return changed


def tally_groups(session: Session, records: Iterable[tuple[str, str]]) -> frozenset[TallyGroup]:
    """The tally groups these (record type, id) records count in now."""
    by_type = _ids_by_type(records)
    found: set[TallyGroup] = set()
    for tally in TALLIES:
        ids = by_type.get(tally.record_type)
        if not ids:
            continue
        record = MODELS[tally.record_type]
        columns = [getattr(record, name) for name in tally.group_names]
        for values in session.execute(sa_select(*columns).where(col(record.id).in_(ids))):
            found.add((tally.record_type, tuple(values)))
    return frozenset(found)


# Where `bump_data_version` leaves the new version in `session.info`.
DATA_VERSION = "borderstatus_data_version"


def bump_data_version(session: Session) -> None:
    """Tell every worker the data changed (they poll this row); call inside the write.

    The new version is left in `session.info[DATA_VERSION]`, so the worker that wrote can
    mark it as seen once it has emptied its cache (`app.cache.DataVersion.seen`).
    """
    version = session.execute(
        text("UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version")
    ).scalar()
    session.info[DATA_VERSION] = version
