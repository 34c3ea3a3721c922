"""Crossing counts on any date: for each border and status, the number of its crossings with
that status from each day on which it changes (`CrossingCount`), from their status periods. A
border's count on a date is its row for the latest such day up to the date: one index seek per
border and status, however many crossings it has."""

import datetime as dt
from collections.abc import Collection

from sqlalchemy import delete, func, insert, literal, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.models import Border, Crossing, CrossingCount, StatusPeriod

# The end of a period that has none.
OPEN_ENDED = dt.date.max


def refresh_crossing_counts(session: Session, border_ids: Collection[str] | None = None) -> int:
    """Recount these borders, or every border, from their crossings' status periods: +1 on
    the day a period begins, -1 on the day it ends, summed per day and then over the days so
    far (one statement); the rows written."""
    counts = CrossingCount.__table__  # type: ignore[attr-defined]
    period = StatusPeriod.__table__  # type: ignore[attr-defined]
    crossing = Crossing.__table__  # type: ignore[attr-defined]
    wipe = delete(counts)
    if border_ids is not None:
        if not border_ids:
            return 0
        wipe = wipe.where(counts.c.border_id.in_(list(border_ids)))
    session.execute(wipe)
    joined = period.join(crossing, crossing.c.id == period.c.record_id)
    where = [period.c.record_type == "crossing"]
    if border_ids is not None:
        where.append(crossing.c.border_id.in_(list(border_ids)))
    # Each period's first day counts +1, and its end (where it has one) -1.
    edges = [
        sa_select(crossing.c.border_id, period.c.status, day.label("day"), literal(sign).label("d"))
        .select_from(joined)
        .where(*where, *extra)
        for day, sign, extra in (
            (period.c.valid_from, 1, ()),
            (period.c.valid_until, -1, (period.c.valid_until < OPEN_ENDED,)),
        )
    ]
    both = union_all(*edges).subquery()
    total = func.sum(both.c.d)
    grouped = (
        sa_select(both.c.border_id, both.c.status, both.c.day, total.label("delta"))
        .group_by(both.c.border_id, both.c.status, both.c.day)
        .having(total != 0)
        .subquery()
    )
    running = sa_select(
        grouped.c.border_id,
        grouped.c.status,
        grouped.c.day,
        func.sum(grouped.c.delta).over(
            partition_by=(grouped.c.border_id, grouped.c.status), order_by=grouped.c.day
        ),
    )
    written = session.execute(
        insert(counts).from_select(["border_id", "status", "day", "n"], running)
    )
    return int(written.rowcount or 0)  # type: ignore[attr-defined]


def touched_borders(
    session: Session,
    records: Collection[tuple[str, str]],
    groups: Collection[tuple[str, tuple[str, ...]]],
) -> set[str]:
    """The borders whose counts a write of these (record type, id) records may change: those
    of the countries its crossings are and were in (their tally groups lead with the country,
    `groups`), so a crossing that moved leaves the count of the border it was on."""
    if not any(record_type == "crossing" for record_type, _ in records):
        return set()
    countries = {values[0] for kind, values in groups if kind == "crossing"}
    if not countries:
        return set()
    query = sa_select(col(Border.id)).where(col(Border.country).in_(countries))
    return set(session.execute(query).scalars())
