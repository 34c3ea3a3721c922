import datetime as dt
from dataclasses import dataclass
from typing import cast

from app.history import StatusChange, StatusOnDate, status_at

D = dt.date


@dataclass
class Change:
    date_start: dt.date
    status_before: str | None
    status_after: str | None
    date_inferred: bool = False
    date_note: str | None = None

    @property
    def date(self) -> str:
        return self.date_start.isoformat()


CLOSURE = Change(D(2023, 12, 1), "open", "closed", date_inferred=True, date_note="end of 2023")
PEDESTRIAN_BAN = Change(D(2025, 1, 1), "open", "restricted")


def state_at(
    as_of: dt.date,
    *changes: Change,
    current: str = "closed",
    since: dt.date | None = None,
    attested: dt.date | None = None,
) -> StatusOnDate | None:
    return status_at(
        current=StatusOnDate(current, since.isoformat() if since else None),
        changes=cast(list[StatusChange], list(changes)),
        attested=attested,
        as_of=as_of,
    )


def at(
    as_of: dt.date,
    *changes: Change,
    current: str = "closed",
    since: dt.date | None = None,
    attested: dt.date | None = None,
) -> str | None:
    state = state_at(as_of, *changes, current=current, since=since, attested=attested)
    return state.status if state else None


def test_a_dated_change_holds_from_the_first_day_of_its_period() -> None:
    assert at(D(2023, 11, 30), CLOSURE) == "open"
    assert at(D(2023, 12, 1), CLOSURE) == "closed"
    assert at(D(2030, 1, 1), CLOSURE) == "closed"


def test_the_latest_change_on_or_before_the_date_wins() -> None:
    reopening = Change(D(2024, 6, 1), "closed", "open")
    assert at(D(2024, 5, 31), CLOSURE, reopening) == "closed"
    assert at(D(2024, 6, 1), CLOSURE, reopening) == "open"


def test_changes_need_not_come_sorted() -> None:
    reopening = Change(D(2024, 6, 1), "closed", "open")
    assert at(D(2024, 1, 1), reopening, CLOSURE) == "closed"
    assert at(D(2020, 1, 1), reopening, CLOSURE) == "open"


def test_before_the_first_change_its_status_before_holds() -> None:
    assert at(D(1990, 1, 1), PEDESTRIAN_BAN, current="restricted") == "open"


def test_events_without_a_status_change_are_ignored() -> None:
    meeting = Change(D(2025, 10, 2), None, None)
    assert at(D(2025, 12, 1), CLOSURE, meeting) == "closed"
    assert at(D(2025, 12, 1), meeting, current="open", since=D(2020, 1, 1)) == "open"


def test_without_changes_the_current_status_holds_from_since() -> None:
    assert at(D(2023, 12, 1), current="closed", since=D(2023, 12, 1)) == "closed"
    assert at(D(2023, 11, 30), current="closed", since=D(2023, 12, 1)) is None


def test_without_since_the_earliest_attesting_article_dates_the_status() -> None:
    assert at(D(2026, 1, 1), current="open", attested=D(2026, 1, 1)) == "open"
    assert at(D(2025, 12, 31), current="open", attested=D(2026, 1, 1)) is None


def test_since_wins_over_attested() -> None:
    assert at(D(2023, 1, 1), current="open", since=D(2022, 1, 1), attested=D(2026, 1, 1)) == "open"


def test_nothing_known_is_none() -> None:
    assert at(D(2024, 1, 1), current="open") is None


def test_the_status_since_is_the_date_of_the_change_that_set_it() -> None:
    after = state_at(D(2024, 1, 1), CLOSURE, current="closed", since=D(2023, 12, 1))
    assert after == StatusOnDate("closed", "2023-12-01", True, "end of 2023")
    before = state_at(D(2023, 11, 1), CLOSURE, current="closed", since=D(2023, 12, 1))
    assert before == StatusOnDate("open", None)


def test_the_current_status_keeps_its_own_since() -> None:
    state = state_at(D(2024, 1, 1), current="open", since=D(2022, 6, 1))
    assert state == StatusOnDate("open", "2022-06-01")
