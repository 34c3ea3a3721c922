"""Dates that keep the precision their source gives: "2023", "2023-10" or "2023-10-02"."""

import calendar
import datetime as dt
import re

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a partial date's period; ValueError when it isn't one."""
    match = PARTIAL_DATE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if day is None:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0
        return dt.date(year, month, 1), dt.date(year, month, last)
    exact = dt.date(year, month, day)
    return exact, exact


def period_start(value: str | None) -> dt.date | None:
    return parse_partial(value)[0] if value else None
