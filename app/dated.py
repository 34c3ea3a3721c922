"""Records as they stood on a date: each one's status from its history, what it rests on and
how old that is, and the status periods a list `as_of` a date filters by (stored by
`app.derived.periods`)."""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from app.dates import parse_partial
from app.history import (
    NO_EVIDENCE,
    PERIOD_STATE,
    StatusOnDate,
    period_before,
    status_on,
    steps_of,
    window,
)
from app.kinds import BY_MODEL, DATED
from app.queries.events import status_changes
from app.queries.provenance import published_dates

# (valid_from, valid_until, *PERIOD_STATE): a status from one date up to, not including,
# another.
Period = tuple[Any, ...]


@dataclass
class Freshness:
    """When an answer counts as stale: its newest supporting article is older than this many
    days on the date it answers for (`STALE_AFTER_DAYS`)."""

    days: int = 180

    def stale(self, last_reported: str | None, on: dt.date) -> bool:
        """Whether support first dated `last_reported` is too old on `on` (no support is)."""
        if last_reported is None:
            return True
        return parse_partial(last_reported)[0] < on - dt.timedelta(days=self.days)

    def restamp(self, doc: str, on: dt.date) -> str:
        """A stored document (which ends in its `last_reported` and `stale`) with `stale` as
        of `on`: the documents are built when the data changes, and age without changing."""
        found = STAMP.search(doc, max(0, len(doc) - 64))
        if found is None:
            return doc
        stale = "true" if self.stale(found.group(2), on) else "false"
        if found.group(3) == stale:
            return doc
        return f"{doc[: found.start(3)]}{stale}}}"


# The end of a stored document: `"last_reported":"2026-01","stale":false}`.
STAMP = re.compile(r'"last_reported":(null|"([0-9-]{4,10})"),"stale":(true|false)}$')

# The service's setting, set by `app.main.create_app`.
FRESHNESS = Freshness()


def utc_now() -> dt.datetime:
    """The time now, in UTC: the one clock every "today" reads."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The date answers without `as_of` are for (UTC)."""
    return utc_now().date()


def current_status(row: Any) -> StatusOnDate:
    """A record's (or border's) status as its columns say."""
    return DATED[row.__tablename__].of(row)


def state_of(row: Any, statuses: dict[str, StatusOnDate | None]) -> StatusOnDate:
    """The record's status on the date `statuses` (from `statuses_at`) is for."""
    return statuses.get(row.id) or NO_EVIDENCE


def _lapsed(row: Any, state: StatusOnDate | None, as_of: dt.date) -> StatusOnDate | None:
    """The status on the date, where the record's own end date ends it (a measure in force
    until a date is lifted from then)."""
    kind = BY_MODEL.get(type(row))
    if kind is None or kind.lapses is None or state is None:
        return state
    column, status, becomes = kind.lapses
    until = getattr(row, f"{column}_start")
    if state.status == status and until and until <= as_of:
        return replace(state, status=becomes, since=getattr(row, column), event=None)
    return state


@dataclass(frozen=True)
class _Histories:
    """What `status_at` reads of each record: its dated status changes, the publication
    dates of the articles citing it, and of those citing each change."""

    changes: dict[str, list[Any]]
    published: dict[str, list[str]]
    events_published: dict[str, list[str]]

    def status(self, row: Any, as_of: dt.date) -> StatusOnDate | None:
        return self.statuses(row, [as_of])[0]

    def statuses(self, row: Any, dates: Sequence[dt.date]) -> list[StatusOnDate | None]:
        """The record's status on each of `dates`, its history read once."""
        current = current_status(row)
        published = self.published.get(row.id, [])
        steps = steps_of(
            current=current,
            changes=self.changes.get(row.id, []),
            published=published,
            events_published=self.events_published,
        )
        return [
            _lapsed(row, status_on(steps, current=current, published=published, as_of=on), on)
            for on in dates
        ]


def _histories(
    session: Session, rows: Sequence[Any], published: dict[str, list[str]] | None = None
) -> _Histories:
    record_type = rows[0].__tablename__
    ids = [r.id for r in rows]
    if published is None:
        published = published_dates(session, record_type=record_type, record_ids=ids)
    changes = status_changes(session, subject_type=record_type, subject_ids=ids)
    return _Histories(changes.changes, published, changes.published)


def statuses_at(
    session: Session,
    rows: Sequence[Any],
    *,
    as_of: dt.date | None = None,
    published: dict[str, list[str]] | None = None,
) -> dict[str, StatusOnDate | None]:
    """Each record's status on a date (today when not given), from its history; None where
    the sources are silent (or, for a measure, before it existed). `published` gives the
    publication dates of the articles citing each record where the caller has them."""
    if not rows:
        return {}
    histories = _histories(session, rows, published)
    on = as_of or today()
    return {row.id: histories.status(row, on) for row in rows}


def listed_status(row: Any, state: StatusOnDate | None) -> str | None:
    """The status a list filters a record by on the date of `state` (from `statuses_at`): a
    crossing the sources say nothing of is `unknown`, a measure not yet in existence is not
    listed (None)."""
    if state is not None:
        return state.status
    return "unknown" if BY_MODEL[type(row)].listed_when_unknown else None


def _turning_points(row: Any, histories: _Histories) -> set[dt.date]:
    """The dates a record's status on a date may change at: around each window of its
    history, and its own end date."""
    points = {dt.date.min}
    current = current_status(row)
    published = histories.published.get(row.id, [])
    dates: list[tuple[str | None, Sequence[str]]] = [(current.since, published)]
    for change in histories.changes.get(row.id, []):
        dates.append((change.date, histories.events_published.get(change.id, [])))
    for date, cited in dates:
        first, last = window(date, cited)
        points.update({first, last})
        if date is not None:
            points.add(period_before(date))
    for p in published:
        points.add(parse_partial(p)[1])
    lapses = BY_MODEL[type(row)].lapses
    if lapses is not None and (ends := getattr(row, f"{lapses[0]}_start")):
        points.add(ends)
    return {p for p in points if p != dt.date.max}


def listed_periods(session: Session, rows: Sequence[Any]) -> dict[str, list[Period]]:
    """Each record's listed status over all dates (`listed_status`), with what it rests on,
    as spans in date order.

    A status on a date only changes at a date its history names (a window's first or last
    day, the period before a change, the record's own end date), so it is read at each of
    those and holds until the next: the spans answer exactly what `statuses_at` would for any
    date (the unknown status of a crossing the sources are silent on as `NO_EVIDENCE`).
    """
    if not rows:
        return {}
    histories = _histories(session, rows)
    found: dict[str, list[Period]] = {}
    for row in rows:
        starts = sorted(_turning_points(row, histories))
        spans: list[Period] = []
        states = histories.statuses(row, starts)
        for begin, end, state in zip(starts, [*starts[1:], dt.date.max], states, strict=True):
            status = listed_status(row, state)
            if status is None:
                continue
            said = state or NO_EVIDENCE
            held = (status, *(getattr(said, name) for name in PERIOD_STATE[1:]))
            if spans and spans[-1][1] == begin and spans[-1][2:] == held:
                spans[-1] = (spans[-1][0], end, *held)
            else:
                spans.append((begin, end, *held))
        found[row.id] = spans
    return found
