"""What a record's status was on a date, from its dated events."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.dates import period_start


class StatusChange(Protocol):
    date: str
    date_start: dt.date
    date_inferred: bool
    date_note: str | None
    status_before: str | None
    status_after: str | None


@dataclass(frozen=True)
class StatusOnDate:
    status: str
    since: str | None = None
    since_inferred: bool = False
    since_note: str | None = None


def status_at(
    *,
    current: StatusOnDate,
    changes: Sequence[StatusChange],
    attested: dt.date | None,
    as_of: dt.date,
) -> StatusOnDate | None:
    """The status on `as_of` and since when it held, or None when the sources say nothing.

    - The latest dated change on or before `as_of` gives its `status_after`, since its date.
    - Before the first change, its `status_before` holds (a closure implies it was open),
      since a date the sources don't give.
    - With no change on record, the current status holds from its `since`, or, when the
      sources give no start, from the earliest date a citing article attests it.
    Dates of partial precision count from the first day of their period.
    """
    dated = sorted((c for c in changes if c.status_after), key=lambda c: c.date_start)
    past = [c for c in dated if c.date_start <= as_of]
    if past:
        last = past[-1]
        assert last.status_after is not None
        return StatusOnDate(last.status_after, last.date, last.date_inferred, last.date_note)
    if dated:
        before = dated[0].status_before
        return StatusOnDate(before) if before else None
    start = period_start(current.since) or attested
    if start is not None and start <= as_of:
        return current
    return None
