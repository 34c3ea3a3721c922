"""Every query the API makes. Functions take (session, *, ...) and return models or rows.

List functions return one page plus the total; `load_*` functions fetch what a page of
records needs (citations, aliases, countries) in one query per kind, never one per record.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from anyascii import anyascii
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    text,
)
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db import prepared
from app.models import (
    AuditEntry,
    Border,
    Citation,
    Claim,
    Country,
    Crossing,
    CrossingAlias,
    CrossingTally,
    CrossingTraffic,
    CuratedRecord,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    RecordRevision,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
    Sentence,
    Source,
    StatusPeriod,
)

M = TypeVar("M", bound=SQLModel)
S = TypeVar("S", bound=SelectOfScalar[Any])


def data_version(engine: Engine) -> int | None:
    """The data version every write bumps (None before the migrations have run)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar()


def country_roles(session: Session) -> dict[str, str]:
    """Each country code and its role (nato | neighbour | other), in code order."""
    rows = session.exec(select(Country.code, Country.role).order_by(col(Country.code)))
    return dict(rows.all())


def countries(session: Session) -> Sequence[Country]:
    return session.exec(select(Country).order_by(col(Country.code))).all()


def country(session: Session, *, code: str) -> Country | None:
    return session.get(Country, code)


def _page(
    session: Session,
    model: type[M],
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
) -> tuple[list[M], int]:
    key = col(model.id)  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    query = select(model).where(*conditions)
    if after is not None:
        query = query.where(key > after)
    rows = list(session.exec(query.order_by(key).limit(limit)))
    return rows, total


# --- document lists ---------------------------------------------------------------------------
#
# A list page is (id, stored document) rows in id order, and a total. Its SQL depends only on
# which filters are given, so each shape is compiled once per dialect and run on the driver's
# connection with the values bound (app.db.PreparedQuery): a cold page costs one indexed query.


@dataclass(frozen=True)
class Link:
    """A filter through a link table: `table.key` is the record's id, `table.column == value`."""

    table: Any
    key: Any
    column: Any


@dataclass(frozen=True)
class ListFilter:
    """The filters of one list request: `params` are (filter name, value), in a fixed order."""

    model: Any
    params: tuple[tuple[str, Any], ...]

    @property
    def shape(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.params)

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def indexed(self) -> bool:
        """Its page and total are read off indexes and tallies, in time bounded by the page
        size; a substring filter (`q`) scans instead."""
        return not {"q", "q_key"} & set(self.shape)

    def records(self) -> SelectOfScalar[Any]:
        """Every matching record (the model's rows), in id order."""
        where = _where(self.model, self.shape, driving=None)
        query = select(self.model).where(*where).order_by(col(self.model.id))
        return query.params(**self.values)


def _filter(model: Any, **given: Any) -> ListFilter:
    return ListFilter(model, tuple((k, v) for k, v in given.items() if v is not None))


# Per model: filter name -> a column of the model, or a Link; "q" filters are substring matches.
def _columns_of(model: Any) -> dict[str, Any]:
    if model is Crossing:
        return {
            "country": Crossing.country,
            "country_as_neighbour": Crossing.neighbour,
            "neighbour": Crossing.neighbour,
            "status": Crossing.status,
            "traffic": Link(CrossingTraffic, CrossingTraffic.crossing_id, CrossingTraffic.mode),
        }
    if model is Restriction:
        return {
            "country": Link(
                RestrictionCountry, RestrictionCountry.restriction_id, RestrictionCountry.country
            ),
            "kind": Restriction.kind,
            "status": Restriction.status,
        }
    return {
        "country": Link(
            FortificationCountry,
            FortificationCountry.fortification_id,
            FortificationCountry.country,
        ),
        "country_as_neighbour": Fortification.neighbour,
        "kind": Fortification.kind,
        "status": Fortification.status,
    }


def _driving_link(model: Any, shape: tuple[str, ...]) -> tuple[str, Link] | None:
    """The link-table filter whose index gives the page in id order, if any is given."""
    columns = _columns_of(model)
    for name in shape:
        target = columns.get(name)
        if isinstance(target, Link):
            return name, target
    return None


def _where(model: Any, shape: tuple[str, ...], *, driving: str | None) -> list[ColumnElement[bool]]:
    columns = _columns_of(model)
    conditions: list[ColumnElement[bool]] = []
    for name in shape:
        if name == driving:
            continue
        if name == "q_key":
            conditions.append(
                col(Crossing.id).in_(
                    select(CrossingAlias.crossing_id).where(
                        col(CrossingAlias.alias_key).contains(bindparam("q_key"))
                    )
                )
            )
        elif name == "q":
            conditions.append(func.lower(model.summary).contains(bindparam("q"), escape="/"))
        elif name == "as_of":
            conditions.append(_listed_on_date(model, with_status="as_of_status" in shape))
        elif name == "as_of_status":
            continue
        elif isinstance(target := columns[name], Link):
            conditions.append(
                col(model.id).in_(select(target.key).where(target.column == bindparam(name)))
            )
        else:
            conditions.append(col(target) == bindparam(name))
    return conditions


PERIOD_RECORD_TYPES = {Crossing: "crossing", Restriction: "restriction"}


def _listed_on_date(model: Any, *, with_status: bool) -> ColumnElement[bool]:
    """The record is listed on the date :as_of (with the status :as_of_status): one of its
    status periods (`StatusPeriod`) holds it, probed through the periods' index per record."""
    period = StatusPeriod
    conditions = [
        col(period.record_type) == literal(PERIOD_RECORD_TYPES[model]),
        col(period.record_id) == col(model.id),
        col(period.valid_from) <= bindparam("as_of"),
        col(period.valid_until) > bindparam("as_of"),
    ]
    if with_status:
        conditions.append(col(period.status) == bindparam("as_of_status"))
    return exists().where(*conditions)


def on_date(list_filter: ListFilter, date: dt.date, status: str | None = None) -> ListFilter:
    """`list_filter` for the records listed on `date`, with `status` then when given."""
    extra = (("as_of", date), *((("as_of_status", status),) if status else ()))
    return ListFilter(list_filter.model, (*list_filter.params, *extra))


@lru_cache(maxsize=256)
def _page_statement(model: Any, shape: tuple[str, ...], *, after: bool) -> Select[Any]:
    """(id, doc) in id order, up to :limit, after :after; read off the driving link's index."""
    driving = _driving_link(model, shape)
    if driving is None:
        key = col(model.id)
        query = select(key, model.doc)
    else:
        name, link = driving
        key = col(link.key)
        query = (
            select(key, model.doc)
            .select_from(link.table)
            .join(model, col(model.id) == key)
            .where(link.column == bindparam(name))
        )
    query = query.where(*_where(model, shape, driving=driving[0] if driving else None))
    if after:
        query = query.where(key > bindparam("after"))
    return query.order_by(key).limit(bindparam("limit", type_=Integer))


TALLIES: dict[Any, tuple[Any, dict[str, str], dict[str, str]]] = {
    # model: (tally table, filter name -> tally column, tally column -> value when not given)
    Crossing: (
        CrossingTally,
        {
            "country": "country",
            "country_as_neighbour": "neighbour",
            "neighbour": "neighbour",
            "status": "status",
            "traffic": "mode",
        },
        {"mode": ""},
    ),
    Restriction: (
        RestrictionTally,
        {"country": "country", "kind": "kind", "status": "status"},
        {"country": ""},
    ),
}


@lru_cache(maxsize=256)
def _count_statement(model: Any, shape: tuple[str, ...]) -> Select[Any]:
    """The number of matches: a sum over the model's tally where the filters allow one."""
    tally = TALLIES.get(model)
    if tally is not None and set(shape) <= set(tally[1]):
        table, columns, unset = tally
        conditions = [getattr(table, columns[name]) == bindparam(name) for name in shape]
        given = {columns[name] for name in shape}
        conditions += [
            getattr(table, column) == literal(value)
            for column, value in unset.items()
            if column not in given
        ]
        return select(func.coalesce(func.sum(table.n), 0)).where(*conditions)
    return select(func.count()).select_from(model).where(*_where(model, shape, driving=None))


def documents_query(list_filter: ListFilter, *, after: bool) -> Select[Any]:
    """The page query of a document-backed list, its values unbound (for EXPLAIN)."""
    return _page_statement(list_filter.model, list_filter.shape, after=after)


def count_query(list_filter: ListFilter) -> Select[Any]:
    """The query behind a list's `meta.total`, its values unbound (for EXPLAIN)."""
    return _count_statement(list_filter.model, list_filter.shape)


def documents_page(
    connection: DBAPIConnection,
    dialect: Dialect,
    list_filter: ListFilter,
    *,
    after: str | None,
    limit: int,
) -> tuple[list[tuple[str, str | None]], int]:
    """Up to `limit` (id, stored document) rows in id order, and the total that match.

    The count is skipped when a first page came back short: then it holds them all.
    """
    values = list_filter.values
    page = prepared(dialect, documents_query(list_filter, after=after is not None))
    rows = page.fetch(connection, {**values, "after": after, "limit": limit})
    if after is None and len(rows) < limit:
        return rows, len(rows)
    count = prepared(dialect, count_query(list_filter))
    return rows, int(count.fetch(connection, values)[0][0])


def documents_after(
    session: Session, list_filter: ListFilter, *, after: str, limit: int
) -> list[tuple[str, str | None]]:
    """Up to `limit` (id, stored document) rows after the id `after` ("" for the first), in
    id order, without a total: what an export reads, batch by batch."""
    query = documents_query(list_filter, after=True)
    rows = session.execute(query, {**list_filter.values, "after": after, "limit": limit})
    return [(record_id, doc) for record_id, doc in rows]


# --- crossings ---------------------------------------------------------------------------


def crossing_filter(
    *,
    country: str | None = None,
    country_is_neighbour: bool = False,
    neighbour: str | None = None,
    status: str | None = None,
    traffic: str | None = None,
    q_key: str | None = None,
) -> ListFilter:
    """Filters on crossings; `country` matches either side of the border.

    A crossing's sides are a NATO country and a neighbour, so the side a code can be on is
    known from its role: one indexed column, not an OR of two. `q_key` is a folded name
    (`app.seed.fold`: letters and digits only, so it holds no LIKE wildcard).
    """
    side = "country_as_neighbour" if country_is_neighbour else "country"
    return _filter(
        Crossing,
        **{side: country},
        neighbour=neighbour,
        status=status,
        traffic=traffic,
        q_key=q_key,
    )


def crossings_all(session: Session, *, list_filter: ListFilter) -> list[Crossing]:
    return list(session.exec(list_filter.records()))


def crossing(session: Session, *, crossing_id: str) -> Crossing | None:
    return session.get(Crossing, crossing_id)


def load_aliases(session: Session, *, crossing_ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(CrossingAlias.crossing_id, CrossingAlias.alias)
        .where(col(CrossingAlias.crossing_id).in_(crossing_ids), CrossingAlias.kind == "alias")
        .order_by(col(CrossingAlias.crossing_id), col(CrossingAlias.alias))
    )
    for crossing_id, alias in rows:
        result[crossing_id].append(alias)
    return result


def load_traffic(session: Session, *, crossing_ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(CrossingTraffic.crossing_id, CrossingTraffic.mode)
        .where(col(CrossingTraffic.crossing_id).in_(crossing_ids))
        .order_by(col(CrossingTraffic.crossing_id), col(CrossingTraffic.mode))
    )
    for crossing_id, mode in rows:
        result[crossing_id].append(mode)
    return result


def crossing_counts(session: Session, *, border_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Crossings per status for each border (a border's id is `<country>-<neighbour>`)."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    rows = session.exec(
        select(
            CrossingTally.country, CrossingTally.neighbour, CrossingTally.status, CrossingTally.n
        ).where(
            CrossingTally.mode == "",
            col(CrossingTally.n) > 0,
            (col(CrossingTally.country) + "-" + col(CrossingTally.neighbour)).in_(border_ids),
        )
    )
    for country, neighbour, status, n in rows:
        result[f"{country}-{neighbour}"][status] = n
    return result


def first_records(session: Session, *, list_filter: ListFilter, limit: int) -> list[Any]:
    """The first `limit` records of a list, in id order."""
    return list(session.exec(list_filter.records().limit(limit)))


def total_of(session: Session, *, list_filter: ListFilter) -> int:
    """How many records a list has (from the tallies where it can)."""
    query = count_query(list_filter).params(**list_filter.values)
    return int(session.execute(query).scalar_one())


# --- provenance and events ------------------------------------------------------------------


def _with_sentences(query: Any) -> Any:
    """A query on citations, joined to the sentence each cites and its article (typed loosely:
    the selects it serves differ in their columns)."""
    return query.join(
        Sentence,
        and_(
            col(Sentence.source_file) == col(Citation.source_file),
            col(Sentence.sentence_index) == col(Citation.sentence_index),
        ),
    ).join(Source, col(Source.file) == col(Citation.source_file))


def load_provenance(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each record's citations with their sentences, in the records file's order."""
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not record_ids:
        return result
    rows = session.exec(
        _with_sentences(select(Citation, Sentence, Source.published))
        .where(Citation.record_type == record_type, col(Citation.record_id).in_(record_ids))
        .order_by(col(Citation.record_id), col(Citation.position))
    )
    for citation, sentence, published in rows:
        result[citation.record_id].append(
            {
                "source_file": citation.source_file,
                "sentence_index": citation.sentence_index,
                "sentence": sentence.text,
                "char_start": sentence.char_start,
                "char_end": sentence.char_end,
                "quote": citation.quote,
                "quote_start": citation.quote_start,
                "quote_end": citation.quote_end,
                "published": published,
            }
        )
    return result


def status_changes(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Any]]:
    """The dated status changes of each subject, oldest first: what `status_at` reads."""
    result: dict[str, list[Any]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.execute(
        sa_select(
            col(Event.subject_id),
            col(Event.date),
            col(Event.date_start),
            col(Event.date_inferred),
            col(Event.date_note),
            col(Event.status_before),
            col(Event.status_after),
        )
        .where(
            col(Event.subject_type) == subject_type,
            col(Event.subject_id).in_(subject_ids),
            col(Event.status_after).is_not(None),
        )
        .order_by(col(Event.subject_id), col(Event.date_start), col(Event.id))
    )
    for row in rows:
        result[row.subject_id].append(row)
    return result


def published_dates(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The publication dates of the articles citing each record."""
    result: dict[str, list[str]] = defaultdict(list)
    if not record_ids:
        return result
    rows = session.execute(
        select(Citation.record_id, Source.published)
        .distinct()
        .join(Source, col(Source.file) == col(Citation.source_file))
        .where(
            Citation.record_type == record_type,
            col(Citation.record_id).in_(record_ids),
            col(Source.published).is_not(None),
        )
    )
    for record_id, published in rows:
        result[record_id].append(published)
    return result


def records_after(
    session: Session, *, list_filter: ListFilter, after: str | None, limit: int
) -> list[Any]:
    """Up to `limit` records of a list after the id `after`, in id order."""
    query = list_filter.records()
    if after is not None:
        query = query.where(col(list_filter.model.id) > after)
    return list(session.exec(query.limit(limit)))


def records_page(
    session: Session, *, list_filter: ListFilter, after: str | None, limit: int
) -> tuple[list[Any], int]:
    """Up to `limit` records of a list after the id `after`, in id order, and how many match
    in all; the count is skipped when a first page came back short: then it holds them all."""
    rows = records_after(session, list_filter=list_filter, after=after, limit=limit)
    if after is None and len(rows) < limit:
        return rows, len(rows)
    return rows, total_of(session, list_filter=list_filter)


def subject_events(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Event]]:
    """Events about each subject, oldest first."""
    result: dict[str, list[Event]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.exec(
        select(Event)
        .where(Event.subject_type == subject_type, col(Event.subject_id).in_(subject_ids))
        .order_by(col(Event.date_start), col(Event.id))
    )
    for event in rows:
        assert event.subject_id is not None
        result[event.subject_id].append(event)
    return result


def events_query(
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
) -> tuple[SelectOfScalar[Event], Any, Any]:
    """The timeline's events, and the (date, id) columns its order and cursor go by.

    A country's timeline is read off event_country's (country, date, id) index, which holds
    each event's date; the whole timeline off event's (date, id) or (kind, date, id).
    """
    query = select(Event)
    date, key = col(Event.date_start), col(Event.id)
    if country:
        query = query.join(EventCountry, col(EventCountry.event_id) == col(Event.id)).where(
            EventCountry.country == country
        )
        date, key = col(EventCountry.date_start), col(EventCountry.event_id)
    query = _between(query, date, date_from, date_to)
    if kind:
        query = query.where(col(Event.kind) == kind)
    return query, date, key


def _between(query: S, date: Any, date_from: dt.date | None, date_to: dt.date | None) -> S:
    if date_from:
        query = query.where(date >= date_from)
    if date_to:
        query = query.where(date <= date_to)
    return query


def events_count_query(
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
) -> SelectOfScalar[int]:
    """How many events the timeline's filters match.

    event_country holds each event's date, so its (country, date, id) index counts a
    country's timeline without reading an event: a join per match took 144 ms for one
    country's 142,860 events at 100k crossings.
    """
    if country and not kind:
        counted = select(func.count()).where(col(EventCountry.country) == country)
        return _between(counted, col(EventCountry.date_start), date_from, date_to)
    query, _date, _key = events_query(
        country=country, date_from=date_from, date_to=date_to, kind=kind
    )
    return select(func.count()).select_from(query.subquery())


def events_page(
    session: Session,
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
    after: tuple[dt.date, str] | None,
    limit: int,
) -> tuple[list[Event], int]:
    """Events in date order, after the (date, id) of the cursor; and how many match."""
    total = session.exec(
        events_count_query(country=country, date_from=date_from, date_to=date_to, kind=kind)
    ).one()
    rows = events_after(
        session,
        country=country,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        after=after,
        limit=limit,
    )
    return rows, total


def events_after(
    session: Session,
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
    after: tuple[dt.date, str] | None,
    limit: int,
) -> list[Event]:
    """Up to `limit` events in date order after the (date, id) `after`, without a total."""
    query, date, key = events_query(
        country=country, date_from=date_from, date_to=date_to, kind=kind
    )
    if after is not None:
        after_date, after_id = after
        query = query.where(or_(date > after_date, and_(date == after_date, key > after_id)))
    return list(session.exec(query.order_by(date, key).limit(limit)))


def load_countries(
    session: Session, *, link: type[SQLModel], key: str, ids: Sequence[str]
) -> dict[str, list[str]]:
    """Countries of each record through a link table (restriction, fortification, event)."""
    result: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return result
    key_col = getattr(link, key)
    rows = session.exec(
        select(key_col, link.country)  # type: ignore[attr-defined]
        .where(key_col.in_(ids))
        .order_by(key_col, link.country)  # type: ignore[attr-defined]
    )
    for record_id, code in rows:
        result[record_id].append(code)
    return result


# --- restrictions and fortifications --------------------------------------------------------


def restriction_filter(
    *,
    country: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> ListFilter:
    return _filter(Restriction, country=country, kind=kind, status=status, q=_like(q))


def _like(q: str | None) -> str | None:
    """Words for a case-insensitive substring match, with LIKE's wildcards taken literally."""
    if q is None:
        return None
    return q.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")


def restrictions_all(session: Session, *, list_filter: ListFilter) -> list[Restriction]:
    return list(session.exec(list_filter.records()))


def restriction(session: Session, *, restriction_id: str) -> Restriction | None:
    return session.get(Restriction, restriction_id)


def fortification_filter(
    *,
    country: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    country_is_neighbour: bool = False,
) -> ListFilter:
    """Filters on fortifications; `country` is the builder, or the neighbour it faces."""
    side = "country_as_neighbour" if country_is_neighbour else "country"
    return _filter(Fortification, **{side: country}, kind=kind, status=status, q=_like(q))


def fortifications_all(session: Session, *, list_filter: ListFilter) -> list[Fortification]:
    return list(session.exec(list_filter.records()))


def fortification(session: Session, *, fortification_id: str) -> Fortification | None:
    return session.get(Fortification, fortification_id)


# --- borders, facts, conflicts --------------------------------------------------------------


def borders(session: Session, *, country: str | None = None) -> list[Border]:
    query = select(Border)
    if country:
        query = query.where(or_(col(Border.country) == country, col(Border.neighbour) == country))
    return list(session.exec(query.order_by(col(Border.id))))


def border(session: Session, *, border_id: str) -> Border | None:
    return session.get(Border, border_id)


def facts_of(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Fact]]:
    result: dict[str, list[Fact]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.exec(
        select(Fact)
        .where(Fact.subject_type == subject_type, col(Fact.subject_id).in_(subject_ids))
        .order_by(col(Fact.id))
    )
    for fact in rows:
        result[fact.subject_id].append(fact)
    return result


def disputed_facts_page(
    session: Session, *, after: str | None, limit: int
) -> tuple[list[Fact], int]:
    return _page(session, Fact, [col(Fact.disputed).is_(True)], after=after, limit=limit)


def facts_after(
    session: Session, *, disputed_only: bool, after: str | None, limit: int
) -> list[Fact]:
    """Up to `limit` facts (or disputed facts) after the id `after`, in id order."""
    query = select(Fact)
    if disputed_only:
        query = query.where(col(Fact.disputed).is_(True))
    if after is not None:
        query = query.where(col(Fact.id) > after)
    return list(session.exec(query.order_by(col(Fact.id)).limit(limit)))


def load_claims(session: Session, *, fact_ids: Sequence[str]) -> dict[str, list[Claim]]:
    result: dict[str, list[Claim]] = defaultdict(list)
    if not fact_ids:
        return result
    rows = session.exec(
        select(Claim)
        .where(col(Claim.fact_id).in_(fact_ids))
        .order_by(col(Claim.fact_id), col(Claim.position))
    )
    for claim in rows:
        result[claim.fact_id].append(claim)
    return result


# --- sources and sentences ------------------------------------------------------------------


def sources(session: Session) -> list[tuple[Source, int]]:
    counts = (
        select(Sentence.source_file, func.count().label("n"))
        .group_by(Sentence.source_file)
        .subquery()
    )
    rows = session.exec(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_file == Source.file)
        .order_by(col(Source.file))
    )
    return [(source, int(n)) for source, n in rows]


def source(session: Session, *, file: str) -> Source | None:
    return session.get(Source, file)


def sentences_of(session: Session, *, file: str) -> list[Sentence]:
    return list(
        session.exec(
            select(Sentence)
            .where(Sentence.source_file == file)
            .order_by(col(Sentence.sentence_index))
        )
    )


def sentence(session: Session, *, file: str, index: int) -> Sentence | None:
    return session.get(Sentence, (file, index))


def citations_of_sentences(
    session: Session, *, file: str, indices: Sequence[int] | None = None
) -> dict[int, list[Citation]]:
    result: dict[int, list[Citation]] = defaultdict(list)
    query = select(Citation).where(Citation.source_file == file)
    if indices is not None:
        query = query.where(col(Citation.sentence_index).in_(indices))
    for citation in session.exec(
        query.order_by(
            col(Citation.sentence_index), col(Citation.record_type), col(Citation.record_id)
        )
    ):
        result[citation.sentence_index].append(citation)
    return result


# --- search ---------------------------------------------------------------------------------


def search(session: Session, *, terms: list[str], limit: int, offset: int) -> tuple[list[Any], int]:
    """Full-text search of `search_document.terms`: FTS5 on SQLite, tsvector on PostgreSQL.

    Every word must match; best matches first. `terms` is ASCII-folded, so the words are
    folded the same way. Each row also carries what its URL needs: an event's date, and a
    fact's subject and whether it is disputed (the subject's event date for a fact about an
    event).
    """
    source, where, _order, params = _search_sql(session, terms)
    total = session.execute(
        text(f"SELECT count(*) FROM {source} WHERE {where}"), params
    ).scalar_one()
    return search_hits(session, terms=terms, limit=limit, offset=offset), int(total)


def search_hits(session: Session, *, terms: list[str], limit: int, offset: int) -> list[Any]:
    """The hits of `search` from `offset` on, without their total."""
    source, where, order, params = _search_sql(session, terms)
    rows = session.execute(
        text(
            "SELECT d.doc_type, d.doc_id, d.title, d.body, "
            "f.subject_type, f.subject_id, f.disputed, e.date AS event_date "
            f"FROM {source} "
            "LEFT JOIN fact f ON d.doc_type = 'fact' AND f.id = d.doc_id "
            "LEFT JOIN event e ON e.id = CASE WHEN d.doc_type = 'event' THEN d.doc_id "
            "WHEN f.subject_type = 'event' THEN f.subject_id END "
            f"WHERE {where} {order} LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    return list(rows)


def _search_sql(session: Session, terms: list[str]) -> tuple[str, str, str, dict[str, Any]]:
    """FROM, WHERE and ORDER BY of a search on this session's backend, and their values."""
    words = [anyascii(t) for t in terms]
    if session.get_bind().dialect.name == "sqlite":
        source = "search_fts JOIN search_document d ON d.id = search_fts.rowid"
        where = "search_fts MATCH :match"
        order = "ORDER BY bm25(search_fts), d.id"
        params: dict[str, Any] = {
            "match": " ".join('"' + w.replace('"', '""') + '"' for w in words)
        }
    else:
        source = "search_document d"
        where = "to_tsvector('english', d.terms) @@ plainto_tsquery('english', :match)"
        order = (
            "ORDER BY ts_rank(to_tsvector('english', d.terms), "
            "plainto_tsquery('english', :match)) DESC, d.id"
        )
        params = {"match": " ".join(words)}
    return source, where, order, params


# --- curation -------------------------------------------------------------------------------


def curated_records(session: Session) -> set[tuple[str, str]]:
    """(type, id) of every record the curators own."""
    rows = session.exec(select(CuratedRecord.record_type, CuratedRecord.record_id))
    return {(record_type, record_id) for record_type, record_id in rows}


def curated_sources(session: Session) -> list[Source]:
    return list(
        session.exec(
            select(Source)
            .join(
                CuratedRecord,
                and_(
                    col(CuratedRecord.record_type) == "source",
                    col(CuratedRecord.record_id) == col(Source.file),
                ),
            )
            .order_by(col(Source.file))
        )
    )


def event_subjects(session: Session) -> list[tuple[str, str | None, str | None]]:
    """(id, subject type, subject id) of every event."""
    rows = session.exec(select(Event.id, Event.subject_type, Event.subject_id))
    return [(event_id, subject_type, subject_id) for event_id, subject_type, subject_id in rows]


def citations_with_sentences(session: Session) -> list[tuple[Citation, Sentence, str]]:
    """Every citation with its sentence and the text of its article."""
    rows = session.exec(_with_sentences(select(Citation, Sentence, Source.text)))
    return [(citation, sentence, article) for citation, sentence, article in rows]


def revisions_of(session: Session, *, record_type: str, record_id: str) -> list[RecordRevision]:
    """A record's earlier states, oldest first."""
    return list(
        session.exec(
            select(RecordRevision)
            .where(RecordRevision.record_type == record_type, RecordRevision.record_id == record_id)
            .order_by(col(RecordRevision.revision))
        )
    )


def audit_page(
    session: Session,
    *,
    record_type: str | None,
    record_id: str | None,
    before: int | None,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Audit entries newest first, optionally of one record; `before` is the last id seen."""
    conditions: list[ColumnElement[bool]] = []
    if record_type is not None:
        conditions.append(col(AuditEntry.record_type) == record_type)
    if record_id is not None:
        conditions.append(col(AuditEntry.record_id) == record_id)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = audit_before(
        session, record_type=record_type, record_id=record_id, before=before, limit=limit
    )
    return rows, int(total)


def audit_before(
    session: Session,
    *,
    record_type: str | None,
    record_id: str | None,
    before: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Up to `limit` audit entries newest first, before the id `before`, without a total."""
    query = select(AuditEntry)
    if record_type is not None:
        query = query.where(col(AuditEntry.record_type) == record_type)
    if record_id is not None:
        query = query.where(col(AuditEntry.record_id) == record_id)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)))


def row_count(session: Session, model: Any) -> int:
    """How many rows a table holds (what an export's progress bar counts up to)."""
    return int(session.exec(select(func.count()).select_from(model)).one())
