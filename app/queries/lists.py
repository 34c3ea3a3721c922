"""The list engine: a list's filters, its page of stored documents or records, and its total.

A list page is (id, stored document) rows in id order, and a total. Its SQL depends only on
which filters are given, so each shape is compiled once per dialect and run on the driver's
connection with the values bound (`app.db.prepared`): a cold page costs one indexed query.
The filters, tallies and status periods of each kind are its declaration's (`app.kinds`).
"""

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, Select, bindparam, exists, func, literal
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db.prepared import prepared
from app.kinds import Kind, Listed
from app.models import Border, StatusPeriod
from app.queries.borders import CROSSING_STATUSES, crossings_with

# The filters that pick the records listed on a date (`on_date`), beside those on their fields.
DATE_FILTERS = ("as_of", "as_of_status")
# A crossing's columns that are its border's too.
BORDER_SIDES = ("country", "neighbour")


@dataclass(frozen=True)
class ListFilter:
    """The filters of one list request: `params` are (filter name, value), in a fixed order."""

    kind: Kind
    params: tuple[tuple[str, Any], ...]

    @property
    def model(self) -> Any:
        return self.kind.model

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
        return all(
            name in ("as_of", "as_of_status") or self.kind.filters[name].match == "equals"
            for name in self.shape
        )

    @property
    def on_fields(self) -> bool:
        """Whether it filters on the records' fields, not only on their status on a date."""
        return any(name not in DATE_FILTERS for name in self.shape)

    def dates_only(self) -> "ListFilter":
        """The same list without its filters on the records' fields."""
        return ListFilter(self.kind, tuple(p for p in self.params if p[0] in DATE_FILTERS))

    def holds(self, out: Any) -> bool:
        """Whether a record as served (`out`, the kind's answer model) matches the filters on
        its fields, read from its values there: what the SQL matches in its columns."""
        return all(
            _holds(self.kind, name, value, out)
            for name, value in self.params
            if name not in DATE_FILTERS
        )

    def records(
        self, excluding: Collection[str] = (), only: Collection[str] | None = None
    ) -> SelectOfScalar[Any]:
        """Every matching record (the model's rows), in id order; not those `excluding`
        names, and only those `only` names when given."""
        where = [*_where(self.kind, self.shape, driving=None), *_ids(self.kind, excluding, only)]
        query = select(self.model).where(*where).order_by(col(self.model.id))
        return query.params(**self.values)


def _ids(kind: Kind, excluding: Collection[str], only: Collection[str] | None) -> list[Any]:
    key = col(kind.model.id)
    return [
        *([key.not_in(list(excluding))] if excluding else []),
        *([key.in_(list(only))] if only is not None else []),
    ]


def _holds(kind: Kind, name: str, value: Any, out: Any) -> bool:
    """Whether the filter `name` matches `value` in a served record."""
    spec = kind.filters[name]
    if spec.link is None:
        found = [getattr(out, spec.column)]
    elif spec.link.name in type(out).model_fields:
        found = list(getattr(out, spec.link.name))
    else:
        # Values the answer does not list (folded names): the link rows a write would make.
        source = next(link for link in kind.listed if link.model is spec.link.model)
        rows = source.rows_for(out, getattr(out, source.name))
        found = [getattr(row, spec.column) for row in rows]
    if spec.match == "folded":
        return any(value in v for v in found)
    if spec.match == "words":
        words = re.sub(r"/(.)", r"\1", value)
        return any(words in v.lower() for v in found if v)
    return value in found


def record_filter(
    kind: Kind, /, *, roles: dict[str, str] | None = None, **given: Any
) -> ListFilter:
    """Filters on a kind's records; the values not None are given.

    `country` is a NATO country's code, or, where the kind has `country_as_neighbour`, a
    neighbour's (`roles[code]` is `neighbour`): one indexed column, not an OR of two. A
    `q_key` is a folded name (`app.names.fold`: no LIKE wildcard); `q` words of the summary.
    """
    country = given.pop("country", None)
    if country is not None:
        side = "country"
        if "country_as_neighbour" in kind.filters and (roles or {}).get(country) == "neighbour":
            side = "country_as_neighbour"
        given = {side: country, **given}
    if given.get("q") is not None:
        given["q"] = _like(given["q"])
    return ListFilter(kind, tuple((k, v) for k, v in given.items() if v is not None))


def _like(q: str) -> str:
    """Words for a case-insensitive substring match, with LIKE's wildcards taken literally."""
    return q.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")


def on_date(list_filter: ListFilter, date: dt.date, status: str | None = None) -> ListFilter:
    """`list_filter` for the records listed on `date`, with `status` then when given."""
    extra = (("as_of", date), *((("as_of_status", status),) if status else ()))
    return ListFilter(list_filter.kind, (*list_filter.params, *extra))


def _driving_link(kind: Kind, shape: tuple[str, ...]) -> tuple[str, Listed] | None:
    """The link-table filter whose index gives the page in id order, if any is given."""
    for name in shape:
        spec = kind.filters.get(name)
        if spec is not None and spec.link is not None and spec.match == "equals":
            return name, spec.link
    return None


def _where(kind: Kind, shape: tuple[str, ...], *, driving: str | None) -> list[ColumnElement[bool]]:
    model = kind.model
    conditions: list[ColumnElement[bool]] = []
    for name in shape:
        if name in (driving, "as_of_status"):
            continue
        if name == "as_of":
            conditions.append(_listed_on_date(kind, with_status="as_of_status" in shape))
            continue
        spec = kind.filters[name]
        table = spec.link.model if spec.link is not None else model
        column = col(getattr(table, spec.column))
        if spec.match == "folded":
            condition = column.contains(bindparam(name))
        elif spec.match == "words":
            condition = func.lower(column).contains(bindparam(name), escape="/")
        else:
            condition = column == bindparam(name)
        if spec.link is not None:
            condition = col(model.id).in_(select(spec.link.key_column).where(condition))
        conditions.append(condition)
    return conditions


def _listed_on_date(kind: Kind, *, with_status: bool) -> ColumnElement[bool]:
    """The record is listed on the date :as_of (with the status :as_of_status): one of its
    status periods (`StatusPeriod`) holds it, probed through the periods' index per record."""
    period = StatusPeriod
    conditions = [
        col(period.record_type) == literal(kind.name),
        col(period.record_id) == col(kind.model.id),
        col(period.valid_from) <= bindparam("as_of"),
        col(period.valid_until) > bindparam("as_of"),
    ]
    if with_status:
        conditions.append(col(period.status) == bindparam("as_of_status"))
    return exists().where(*conditions)


@lru_cache(maxsize=256)
def _page_statement(kind: Kind, shape: tuple[str, ...], *, after: bool) -> Select[Any]:
    """(id, doc) in id order, up to :limit, after :after; read off the driving link's index."""
    model = kind.model
    driving = _driving_link(kind, shape)
    if driving is None:
        key = col(model.id)
        query = select(key, model.doc)
    else:
        name, link = driving
        key = col(link.key_column)
        query = (
            select(key, model.doc)
            .select_from(link.model)
            .join(model, col(model.id) == key)
            .where(col(getattr(link.model, kind.filters[name].column)) == bindparam(name))
        )
    query = query.where(*_where(kind, shape, driving=driving[0] if driving else None))
    if after:
        query = query.where(key > bindparam("after"))
    return query.order_by(key).limit(bindparam("limit", type_=Integer))


def _dated_count_statement(kind: Kind, shape: tuple[str, ...]) -> Select[Any] | None:
    """The number of crossings listed on :as_of (with :as_of_status), on the borders the
    other filters pick: per border, its `CrossingCount` rows for that date (one seek each),
    where the filters are on a border's sides only; None otherwise."""
    if kind.name != "crossing" or "as_of" not in shape:
        return None
    sides = {name: kind.filters[name] for name in shape if name not in DATE_FILTERS}
    if any(spec.link is not None or spec.column not in BORDER_SIDES for spec in sides.values()):
        return None
    on = bindparam("as_of", type_=Date)
    statuses = [bindparam("as_of_status")] if "as_of_status" in shape else CROSSING_STATUSES
    per_border = sum(
        (crossings_with(status, col(Border.id), on) for status in statuses), start=literal(0)
    )
    return (
        select(func.coalesce(func.sum(per_border), 0))
        .select_from(Border)
        .where(
            *(col(getattr(Border, spec.column)) == bindparam(name) for name, spec in sides.items())
        )
    )


@lru_cache(maxsize=256)
def _count_statement(kind: Kind, shape: tuple[str, ...]) -> Select[Any]:
    """The number of matches: a sum over the kind's tally where the filters allow one, or on
    a date over the borders' crossing counts then (`_dated_count_statement`)."""
    dated = _dated_count_statement(kind, shape)
    if dated is not None:
        return dated
    tally = kind.tally
    columns = {name: tally.column_of(kind, name) for name in shape} if tally else {}
    if tally is not None and None not in columns.values():
        table = tally.model
        names = {name: column for name, column in columns.items() if column is not None}
        conditions = [getattr(table, names[name]) == bindparam(name) for name in shape]
        given = set(names.values())
        conditions += [
            getattr(table, column) == literal("")
            for column in tally.keys
            if column == tally.link_column and column not in given
        ]
        return select(func.coalesce(func.sum(table.n), 0)).where(*conditions)
    model = kind.model
    return select(func.count()).select_from(model).where(*_where(kind, shape, driving=None))


def documents_query(list_filter: ListFilter, *, after: bool) -> Select[Any]:
    """The page query of a document-backed list, its values unbound (for EXPLAIN)."""
    return _page_statement(list_filter.kind, list_filter.shape, after=after)


def count_query(list_filter: ListFilter) -> Select[Any]:
    """The query behind a list's `meta.total`, its values unbound (for EXPLAIN)."""
    return _count_statement(list_filter.kind, list_filter.shape)


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


def total_of(session: Session, *, list_filter: ListFilter) -> int:
    """How many records a list has (from the tallies where it can)."""
    query = count_query(list_filter).params(**list_filter.values)
    return int(session.execute(query).scalar_one())


def records_after(
    session: Session,
    *,
    list_filter: ListFilter,
    after: str | None,
    limit: int,
    excluding: Collection[str] = (),
    only: Collection[str] | None = None,
) -> list[Any]:
    """Up to `limit` records of a list after the id `after`, in id order (none of those
    `excluding` names, and only those `only` names when given)."""
    query = list_filter.records(excluding, only)
    if after is not None:
        query = query.where(col(list_filter.model.id) > after)
    return list(session.exec(query.limit(limit)))


def records_page(
    session: Session,
    *,
    list_filter: ListFilter,
    after: str | None,
    limit: int,
    excluding: Collection[str] = (),
) -> tuple[list[Any], int]:
    """Up to `limit` records of a list after the id `after`, in id order, and how many match
    in all (none of those `excluding` names); the count is skipped when a first page came
    back short: then it holds them all."""
    rows = records_after(
        session, list_filter=list_filter, after=after, limit=limit, excluding=excluding
    )
    if after is None and len(rows) < limit:
        return rows, len(rows)
    total = total_of(session, list_filter=list_filter)
    if not excluding:
        return rows, total
    # Less those excluded that match: a count over a few ids, the total one off an index.
    where = [*_where(list_filter.kind, list_filter.shape, driving=None)]
    query = (
        select(func.count())
        .select_from(list_filter.model)
        .where(*where, *_ids(list_filter.kind, (), excluding))
    )
    return rows, total - int(session.execute(query.params(**list_filter.values)).scalar_one())
