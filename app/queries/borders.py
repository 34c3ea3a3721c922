"""Countries and borders, and the crossings each border has per status."""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any, get_args

from sqlalchemy import Date, Select, bindparam, func, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models import (
    Border,
    Country,
    Crossing,
    CrossingCount,
    CrossingTally,
    Event,
)
from app.schemas import CrossingStatus


def country_roles(session: Session) -> dict[str, str]:
    """Each country code and its role (nato | neighbour | other), in code order."""
    rows = session.exec(select(Country.code, Country.role).order_by(col(Country.code)))
    return dict(rows.all())


def countries(session: Session) -> Sequence[Country]:
    return session.exec(select(Country).order_by(col(Country.code))).all()


def country(session: Session, *, code: str) -> Country | None:
    return session.get(Country, code)


def borders(session: Session, *, country: str | None = None) -> list[Border]:
    query = select(Border)
    if country:
        query = query.where(or_(col(Border.country) == country, col(Border.neighbour) == country))
    return list(session.exec(query.order_by(col(Border.id))))


def border(session: Session, *, border_id: str) -> Border | None:
    """The border with this id, read in any case and either way round (`RU-NO` is NO-RU)."""
    key = border_id.strip().upper()
    found = session.get(Border, key)
    if found is None and key.count("-") == 1:
        first, second = key.split("-")
        found = session.get(Border, f"{second}-{first}")
    return found


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


@lru_cache(maxsize=16)
def _status_changes_statement(borders: int) -> Select[Any]:
    """The statement of `crossing_status_changes` for this many borders, built once: border
    `n` and the day after which its changes count are bound as `border_<n>` and `after_<n>`."""
    parts = [
        select(col(Crossing.border_id), col(Event.date_start), col(Event.id))
        .join(Crossing, col(Crossing.id) == col(Event.subject_id))
        .where(
            col(Event.date_start) > bindparam(f"after_{n}"),
            col(Event.date_start) <= bindparam("until"),
            # As an expression, so that SQLite, which keeps no statistics, reads the date
            # index rather than every crossing event through the subject index.
            col(Event.subject_type).concat("") == "crossing",
            col(Crossing.border_id) == bindparam(f"border_{n}"),
            col(Event.status_after).is_not(None),
            or_(
                col(Event.status_before).is_(None),
                col(Event.status_before) != col(Event.status_after),
            ),
        )
        for n in range(borders)
    ]
    changes = union_all(*parts).subquery()
    return select(changes.c.border_id, changes.c.id).order_by(changes.c.date_start, changes.c.id)


def crossing_status_changes(
    session: Session, after: Mapping[str, dt.date], until: dt.date
) -> dict[str, list[str]]:
    """The ids of the changes of status of each border's crossings dated from the day after
    `after[border id]` up to `until`, in date order, by border: one statement, a part per
    border read off the events' date index, so the cost is that of the changes in the
    ranges, however many crossings the borders have."""
    ranges = [(border_id, start) for border_id, start in after.items() if start < until]
    found: dict[str, list[str]] = defaultdict(list)
    if not ranges:
        return found
    values: dict[str, Any] = {"until": until}
    for n, (border_id, start) in enumerate(ranges):
        values |= {f"border_{n}": border_id, f"after_{n}": start}
    for border_id, event_id in session.execute(_status_changes_statement(len(ranges)), values):
        found[border_id].append(event_id)
    return found


# Every status a crossing may be listed with on a date.
CROSSING_STATUSES: tuple[str, ...] = get_args(CrossingStatus)


def crossings_with(status: Any, border_id: Any, on: Any) -> Any:
    """How many crossings of a border have a status on a date: its `CrossingCount` row for
    the latest day up to it (0 where none), one seek on the key."""
    count = aliased(CrossingCount)
    latest = (
        select(col(count.n))
        .where(col(count.border_id) == border_id, col(count.status) == status, col(count.day) <= on)
        .order_by(col(count.day).desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, 0)


@lru_cache(maxsize=1)
def _counts_statement() -> Select[Any]:
    on = bindparam("on", type_=Date)
    statement: Select[Any] = select(
        col(Border.id), *(crossings_with(s, col(Border.id), on) for s in CROSSING_STATUSES)
    ).where(col(Border.id).in_(bindparam("borders", expanding=True)))
    return statement


def crossing_counts_on(
    session: Session, border_ids: Collection[str], on: dt.date
) -> dict[str, dict[str, int]]:
    """Crossings per status for each of these borders, by their status on `on`."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if not border_ids:
        return counts
    rows = session.execute(_counts_statement(), {"on": on, "borders": list(border_ids)})
    for border_id, *numbers in rows:
        for status, n in zip(CROSSING_STATUSES, numbers, strict=True):
            if n:
                counts[border_id][status] = int(n)
    return counts
