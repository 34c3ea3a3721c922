"""What a record's status was on a date, from its dated events, and what that answer rests on.

The rule (docs/decisions.md, "What a status on a date rests on"):
- A dated change is known to lie somewhere in its window: the period of its date (a year, a
  month or a day), ending no later than the publication of the first article that reports it.
  The new status is `reported` from the window's last day; within the window the status is
  not known. A report that a status held (a change to the same status) covers its whole
  window.
- A record's current status holds from its own start date, read the same way, or, when the
  sources give none, from the publication of the first article that reports it as current.
- Before the first change, its `status_before` is `implied` for one period of the change
  date's own precision (the year, month or day before it), and nothing is known earlier.
- A date no evidence covers has no status (`none`): the answer is `unknown`.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, Protocol

from app.dates import parse_partial

Basis = Literal["reported", "implied", "none"]


class StatusChange(Protocol):
    id: str
    date: str
    date_inferred: bool
    date_note: str | None
    status_before: str | None
    status_after: str | None


@dataclass(frozen=True)
class StatusOnDate:
    """A status, the partial date it holds from (None where the sources give none), what it
    rests on, and the newest article supporting it."""

    status: str
    since: str | None = None
    since_inferred: bool = False
    since_note: str | None = None
    basis: Basis = "reported"
    # The dated event the status rests on: the change it follows, or is implied by.
    event: str | None = None
    last_reported: str | None = None


NO_EVIDENCE = StatusOnDate("unknown", basis="none")
# What a status period (`app.models.StatusPeriod`) keeps beside its dates: these, in order.
PERIOD_STATE = tuple(f.name for f in fields(StatusOnDate))


@dataclass(frozen=True)
class DatedStatus:
    """A status that holds from a partial date: the columns `status`, `<since>`,
    `<since>_inferred` and `<since>_note`, of a record and of its answer alike. With `since`
    None, the record keeps no start of its status: its history and its citations date it."""

    since: str | None

    def of(self, row: Any) -> StatusOnDate:
        """The status a row holds now, as its columns say."""
        if self.since is None:
            return StatusOnDate(row.status)
        return StatusOnDate(
            row.status,
            getattr(row, self.since),
            getattr(row, f"{self.since}_inferred"),
            getattr(row, f"{self.since}_note"),
        )

    def fields(self, state: StatusOnDate) -> dict[str, Any]:
        """`state` as the answer's fields."""
        dated = {}
        if self.since is not None:
            dated = {
                self.since: state.since,
                f"{self.since}_inferred": state.since_inferred,
                f"{self.since}_note": state.since_note,
            }
        return {
            "status": state.status,
            **dated,
            "status_basis": state.basis,
            "status_event": state.event,
            "last_reported": state.last_reported,
        }


@dataclass(frozen=True)
class _Step:
    """A change (or report) of status, placed in its window of dates."""

    first: dt.date
    last: dt.date
    before: str | None
    after: str
    since: str | None
    since_inferred: bool
    since_note: str | None
    event: str | None
    published: tuple[str, ...]

    @property
    def report(self) -> bool:
        """A statement that the status held, not a change of it."""
        return self.before == self.after

    @property
    def holds_from(self) -> dt.date:
        return self.first if self.report else self.last


def window(date: str | None, published: Sequence[str]) -> tuple[dt.date, dt.date]:
    """The days a dated change may lie on: its date's period, ending no later than the first
    article reporting it was published (where that is within the period). No date: any day
    up to that publication."""
    known_by = min((parse_partial(p)[1] for p in published), default=None)
    if date is None:
        return dt.date.min, known_by or dt.date.max
    first, last = parse_partial(date)
    if known_by is not None and first <= known_by < last:
        last = known_by
    return first, last


def period_before(date: str) -> dt.date:
    """The first day of the period of `date`'s precision just before it: the year, month or
    day before."""
    first, _ = parse_partial(date)
    if len(date) == 4:
        return first.replace(year=first.year - 1) if first.year > 1 else dt.date.min
    if len(date) == 7:
        return (first - dt.timedelta(days=1)).replace(day=1) if first > dt.date.min else first
    return first - dt.timedelta(days=1) if first > dt.date.min else first


def newest(published: Sequence[str]) -> str | None:
    """The newest of some publication dates, at its own precision."""
    return max(published, key=lambda p: (parse_partial(p)[1], len(p)), default=None)


def _steps(
    current: StatusOnDate,
    changes: Sequence[StatusChange],
    events_published: dict[str, list[str]],
    published: Sequence[str],
) -> list[_Step]:
    steps = []
    for change in changes:
        if not change.status_after:
            continue
        cited = tuple(events_published.get(change.id, ()))
        first, last = window(change.date, cited)
        steps.append(
            _Step(
                first,
                last,
                change.status_before,
                change.status_after,
                change.date,
                change.date_inferred,
                change.date_note,
                change.id,
                cited,
            )
        )
    steps.sort(key=lambda s: (s.first, s.holds_from))
    latest = steps[-1] if steps else None
    current_first, current_last = window(current.since, published)
    if current.since is None and latest is not None:
        current_first = max(current_first, latest.holds_from)
    beyond = latest is None or current.status != latest.after or current_first > latest.first
    if beyond:
        # The record's own status goes further than its history: it is the latest step.
        steps.append(
            _Step(
                current_first,
                current_last,
                latest.after if latest else None,
                current.status,
                current.since,
                current.since_inferred,
                current.since_note,
                None,
                tuple(published),
            )
        )
    return steps


def status_at(
    *,
    current: StatusOnDate,
    changes: Sequence[StatusChange],
    published: Sequence[str],
    as_of: dt.date,
    events_published: dict[str, list[str]] | None = None,
) -> StatusOnDate | None:
    """The status on `as_of`, since when it held and what it rests on; None where no source
    covers the date (see the module's rule).

    `changes` are the record's dated status changes, `published` the publication dates of
    the articles citing the record itself (they report its current status), and
    `events_published` those of the articles citing each change, by event id.
    """
    steps = steps_of(
        current=current, changes=changes, published=published, events_published=events_published
    )
    return status_on(steps, current=current, published=published, as_of=as_of)


def steps_of(
    *,
    current: StatusOnDate,
    changes: Sequence[StatusChange],
    published: Sequence[str],
    events_published: dict[str, list[str]] | None = None,
) -> list[_Step]:
    """A record's history as `status_on` reads it: made once, read on any number of dates."""
    return _steps(current, changes, events_published or {}, published)


def status_on(
    steps: Sequence[_Step], *, current: StatusOnDate, published: Sequence[str], as_of: dt.date
) -> StatusOnDate | None:
    """`status_at` from the record's steps (`steps_of`)."""
    if any(s.first <= as_of < s.holds_from for s in steps if not s.report):
        return None  # changing on some day of the window, which the sources don't give
    done = [s for s in steps if s.holds_from <= as_of]
    if done and done[-1].after == "unknown":
        return None  # the sources no longer say
    if done:
        step = done[-1]
        dated = next((s for s in reversed(done) if not s.report), None)
        start = (
            (dated.since, dated.since_inferred, dated.since_note) if dated else (None, False, None)
        )
        support = list(step.published)
        if step is steps[-1]:
            support += published
            if current.since is not None:
                # The current status's own start, as the record (its curator) gives it.
                start = (current.since, current.since_inferred, current.since_note)
        return StatusOnDate(
            step.after,
            *start,
            basis="reported",
            event=step.event,
            last_reported=newest(support),
        )
    upcoming = steps[0] if steps else None
    if (
        upcoming is not None
        and upcoming.before
        and upcoming.since is not None
        and period_before(upcoming.since) <= as_of
    ):
        return StatusOnDate(
            upcoming.before,
            basis="implied",
            event=upcoming.event,
            last_reported=newest(upcoming.published),
        )
    return None
