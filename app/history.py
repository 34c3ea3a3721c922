"""What a record's status was on a date, from its dated events."""

import datetime as dt
from collections.abc import Sequence
from typing import Protocol


class StatusChange(Protocol):
    date_start: dt.date
    status_before: str | None
    status_after: str | None


def status_at(
    *,
    current: str,
    since: dt.date | None,
    changes: Sequence[StatusChange],
    attested: dt.date | None,
    as_of: dt.date,
) -> str | None:
    """The status on `as_of`, or None when the sources say nothing about that date.

    - The latest dated change on or before `as_of` gives its `status_after`.
    - Before the first change, its `status_before` holds (a closure implies it was open).
    - With no change on record, the current status holds from `since`, or, when the sources
      give no start, from the earliest date a citing article attests it.
    Dates of partial precision count from the first day of their period.
    """
    dated = sorted((c for c in changes if c.status_after), key=lambda c: c.date_start)
    past = [c for c in dated if c.date_start <= as_of]
    if past:
        return past[-1].status_after
    if dated:
        return dated[0].status_before
    start = since or attested
    if start is not None and start <= as_of:
        return current
    return None
