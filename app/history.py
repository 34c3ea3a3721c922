"""What a record's status was on a date, from its dated events."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
    """A status, and the partial date it holds from (None where the sources give none)."""

    status: str
    since: str | None = None
    since_inferred: bool = False
    since_note: str | None = None


@dataclass(frozen=True)
class DatedStatus:
    """A status that holds from a partial date: the columns `status`, `<since>`,
    `<since>_inferred` and `<since>_note`, of a record and of its answer alike."""

    since: str

    def of(self, row: Any) -> StatusOnDate:
        """The status a row (or answer) holds now."""
        return StatusOnDate(
            row.status,
            getattr(row, self.since),
            getattr(row, f"{self.since}_inferred"),
            getattr(row, f"{self.since}_note"),
        )

    def fields(self, state: StatusOnDate) -> dict[str, Any]:
        """`state` as the answer's fields."""
        return {
            "status": state.status,
            self.since: state.since,
            f"{self.since}_inferred": state.since_inferred,
            f"{self.since}_note": state.since_note,
        }


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
