"""Records as they stood on a date: each one's status from its history, and the status
periods a list `as_of` a date filters by (stored by `app.derived.periods`)."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.dates import period_start
from app.history import StatusOnDate, status_at
from app.kinds import BY_MODEL, DATED
from app.queries.events import status_changes
from app.queries.provenance import published_dates

# (valid_from, valid_until, status): the status from one date up to, not including, another.
Period = tuple[dt.date, dt.date, str]


def attested(published: Sequence[str]) -> dt.date | None:
    """The earliest publication date among a record's citing articles."""
    dates = [period_start(value) for value in published]
    return min((d for d in dates if d is not None), default=None)


def current_status(row: Any) -> StatusOnDate:
    """A record's (or border's) status now, and since when it holds."""
    return DATED[row.__tablename__].of(row)


def state_of(row: Any, statuses: dict[str, StatusOnDate | None] | None) -> StatusOnDate:
    """The record's status now, or on the date `statuses` (from `statuses_at`) is for."""
    state = current_status(row) if statuses is None else statuses.get(row.id)
    return state or StatusOnDate("unknown")


def _lapsed(row: Any, state: StatusOnDate | None, as_of: dt.date) -> StatusOnDate | None:
    """The status on the date, where the record's own end date ends it (a measure in force
    until a date is lifted from then)."""
    kind = BY_MODEL.get(type(row))
    if kind is None or kind.lapses is None or state is None:
        return state
    column, status, becomes = kind.lapses
    until = getattr(row, f"{column}_start")
    if state.status == status and until and until <= as_of:
        return StatusOnDate(becomes, getattr(row, column))
    return state


def _histories(
    session: Session, rows: Sequence[Any]
) -> tuple[dict[str, list[Any]], dict[str, list[str]]]:
    """What `status_at` reads of each record: its dated status changes, and the publication
    dates of the articles citing it."""
    record_type = rows[0].__tablename__
    ids = [r.id for r in rows]
    changes = status_changes(session, subject_type=record_type, subject_ids=ids)
    published = published_dates(session, record_type=record_type, record_ids=ids)
    return changes, published


def statuses_at(
    session: Session, rows: Sequence[Any], *, as_of: dt.date
) -> dict[str, StatusOnDate | None]:
    """Each record's status on a date, from its history; None where the sources are silent
    (or, for a measure, before it existed)."""
    if not rows:
        return {}
    changes, published = _histories(session, rows)
    found = {}
    for row in rows:
        state = status_at(
            current=current_status(row),
            changes=changes.get(row.id, []),
            attested=attested(published.get(row.id, [])),
            as_of=as_of,
        )
        found[row.id] = _lapsed(row, state, as_of)
    return found


def listed_status(row: Any, state: StatusOnDate | None, as_of: dt.date) -> str | None:
    """The status a list filters a record by on the date, from its history's (`state`): a
    crossing the sources say nothing of is `unknown`, a measure not yet in existence is not
    listed (None)."""
    found = _lapsed(row, state, as_of)
    if found is not None:
        return found.status
    return "unknown" if BY_MODEL[type(row)].listed_when_unknown else None


def listed_periods(session: Session, rows: Sequence[Any]) -> dict[str, list[Period]]:
    """Each record's listed status over all dates (`listed_status`), as spans in date order.

    A status on a date only changes at a date its history names (a change, the start of its
    current status, the record's own end date), so it is read at each of those and holds
    until the next: the spans answer exactly what `statuses_at` would for any date.
    """
    if not rows:
        return {}
    changes, published = _histories(session, rows)
    found: dict[str, list[Period]] = {}
    for row in rows:
        current = current_status(row)
        history = changes.get(row.id, [])
        first_attested = attested(published.get(row.id, []))
        points = {change.date_start for change in history}
        points.add(period_start(current.since) or first_attested or dt.date.min)
        lapses = BY_MODEL[type(row)].lapses
        if lapses is not None and (ends := getattr(row, f"{lapses[0]}_start")):
            points.add(ends)
        starts = [dt.date.min, *sorted(points - {dt.date.min})]
        spans: list[Period] = []
        for begin, end in zip(starts, [*starts[1:], dt.date.max], strict=True):
            state = status_at(
                current=current, changes=history, attested=first_attested, as_of=begin
            )
            status = listed_status(row, state, begin)
            if status is None:
                continue
            if spans and spans[-1][1] == begin and spans[-1][2] == status:
                spans[-1] = (spans[-1][0], end, status)
            else:
                spans.append((begin, end, status))
        found[row.id] = spans
    return found
