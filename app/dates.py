"""Dates that keep the precision their source gives: "2023", "2023-10" or "2023-10-02"."""

import calendar
import datetime as dt
import re
from functools import lru_cache

# A timestamp's date: 2024-01-01T00:00, 2024-01-01 12:00:00Z, 2024-01-01T00:00+02:00.
TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# What the schema says of a partial date: exactly the ones `parse_partial` takes (years 0001
# to 9999, each month its days, 29 February in leap years), so a client generator, or a
# fuzzer, makes only dates the service reads. No lookaround, so any regex engine takes it.
_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26]|0[48])00)"
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_DAY = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_PARTIAL = f"({_YEAR}(-(0[1-9]|1[0-2]))?|{_DAY})"
PARTIAL_DATE_PATTERN = f"^{_PARTIAL}$"
# `as_of` also takes a timestamp, read as its date (`TIMESTAMP`).
AS_OF_PATTERN = (
    f"^\\s*({_PARTIAL}|{_DAY}[T ][0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?"
    f"(Z|[+-][0-9]{{2}}:?[0-9]{{2}})?)\\s*$"
)


@lru_cache(maxsize=16384)
def parse_partial(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a partial date's period; ValueError when it isn't one.
    Kept for the dates seen last: a record's history is read on every date asked of it."""
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


def as_of_date(value: str, today: dt.date) -> dt.date:
    """An `as_of` date: the last day of the period a partial date names (a timestamp is read
    as its date), or `today` where that period is not over. ValueError when it isn't a date,
    or names a period that begins after today."""
    value = value.strip()
    if (stamp := TIMESTAMP.match(value)) is not None:
        value = stamp.group(1)
    first, last = parse_partial(value)
    if first > today:
        raise ValueError(
            f"{value} is after today ({today.isoformat()}, UTC): the sources can't say what will be"
        )
    return min(last, today)
