"""The rule for a status on a date (app.history, docs/decisions.md): what each answer rests on."""

import datetime as dt
from dataclasses import dataclass
from typing import cast

from app.history import StatusChange, StatusOnDate, status_at

D = dt.date


@dataclass
class Change:
    id: str
    date: str
    status_before: str | None
    status_after: str | None
    date_inferred: bool = False
    date_note: str | None = None


CLOSURE = Change(
    "closure", "2023-12", "open", "closed", date_inferred=True, date_note="end of 2023"
)
PEDESTRIAN_BAN = Change("ban", "2025", "open", "restricted")
KEPT_OPEN = Change("kept-open", "2023", "open", "open")


def state_at(
    as_of: dt.date,
    *changes: Change,
    current: str = "closed",
    since: str | None = None,
    published: tuple[str, ...] = (),
    events_published: dict[str, list[str]] | None = None,
) -> StatusOnDate | None:
    return status_at(
        current=StatusOnDate(current, since),
        changes=cast(list[StatusChange], list(changes)),
        published=published,
        events_published=events_published,
        as_of=as_of,
    )


def at(as_of: dt.date, *changes: Change, **given: object) -> tuple[str, str] | None:
    """(status, basis) on the date, or None where nothing is known."""
    state = state_at(as_of, *changes, **given)  # type: ignore[arg-type]
    return (state.status, state.basis) if state else None


def test_a_change_dated_to_a_day_is_reported_from_that_day() -> None:
    change = Change("c", "2023-12-05", "open", "closed")
    assert at(D(2023, 12, 4), change) == ("open", "implied")
    assert at(D(2023, 12, 5), change) == ("closed", "reported")
    assert at(D(2030, 1, 1), change) == ("closed", "reported")


def test_a_change_dated_to_a_month_is_unknown_within_that_month() -> None:
    # It happened on some day of December: on each day of it, either status may hold.
    assert at(D(2023, 11, 30), CLOSURE) == ("open", "implied")
    assert at(D(2023, 12, 1), CLOSURE) is None
    assert at(D(2023, 12, 30), CLOSURE) is None
    assert at(D(2023, 12, 31), CLOSURE) == ("closed", "reported")


def test_the_status_before_a_change_is_implied_for_one_period_of_its_precision() -> None:
    assert at(D(2023, 11, 1), CLOSURE) == ("open", "implied")
    assert at(D(2023, 10, 31), CLOSURE) is None
    assert at(D(2024, 1, 1), PEDESTRIAN_BAN, current="restricted") == ("open", "implied")
    assert at(D(2023, 12, 31), PEDESTRIAN_BAN, current="restricted") is None
    assert at(D(1, 1, 1), PEDESTRIAN_BAN, current="restricted") is None


def test_an_implied_status_names_the_change_it_is_implied_by() -> None:
    state = state_at(D(2023, 11, 15), CLOSURE)
    assert state is not None and state.event == "closure" and state.since is None


def test_the_first_article_reporting_a_change_ends_its_window() -> None:
    # "This spring" in an article published in June: the ban held by the end of June.
    published = {"ban": ["2025-06"]}
    assert (
        at(D(2025, 6, 29), PEDESTRIAN_BAN, current="restricted", events_published=published) is None
    )
    assert at(D(2025, 6, 30), PEDESTRIAN_BAN, current="restricted", events_published=published) == (
        "restricted",
        "reported",
    )


def test_the_latest_change_wins_and_order_does_not_matter() -> None:
    reopening = Change("reopening", "2024-06-01", "closed", "open")
    for changes in ((CLOSURE, reopening), (reopening, CLOSURE)):
        assert at(D(2024, 5, 31), *changes, current="open") == ("closed", "reported")
        assert at(D(2024, 6, 1), *changes, current="open") == ("open", "reported")


def test_a_report_that_a_status_held_covers_its_whole_window() -> None:
    assert at(D(2023, 1, 1), KEPT_OPEN, current="open") == ("open", "reported")
    assert at(D(2022, 12, 31), KEPT_OPEN, current="open") == ("open", "implied")
    # It changes nothing, so it dates nothing.
    state = state_at(D(2025, 1, 1), KEPT_OPEN, current="open")
    assert state is not None and state.since is None and state.event == "kept-open"


def test_without_changes_the_current_status_is_reported_from_its_own_start() -> None:
    assert at(D(2023, 12, 31), current="closed", since="2023") == ("closed", "reported")
    assert at(D(2023, 6, 1), current="closed", since="2023") is None
    assert at(D(2022, 6, 1), current="closed", since="2023") is None


def test_without_a_start_the_first_article_reporting_it_dates_it() -> None:
    # An article of January 2026 says it is open: from the end of January, not before.
    assert at(D(2026, 1, 31), current="open", published=("2026-01",)) == ("open", "reported")
    assert at(D(2026, 1, 30), current="open", published=("2026-01",)) is None
    assert at(D(1990, 1, 1), current="open", published=("2026-01",)) is None


def test_nothing_known_is_none() -> None:
    assert at(D(2024, 1, 1), current="open") is None


def test_the_status_since_is_the_date_of_the_change_that_set_it() -> None:
    state = state_at(D(2024, 1, 1), CLOSURE)
    assert state is not None
    assert (state.since, state.since_inferred, state.since_note) == ("2023-12", True, "end of 2023")


def test_the_newest_article_supporting_the_answer_is_its_last_report() -> None:
    published = {"closure": ["2024-02", "2023-12-20"]}
    state = state_at(D(2024, 6, 1), CLOSURE, events_published=published, published=("2025",))
    # The closure is the record's current status, so its own citations support it too.
    assert state is not None and state.last_reported == "2025"
    reopening = Change("reopening", "2024-06-01", "closed", "open")
    state = state_at(D(2024, 5, 1), CLOSURE, reopening, current="open", events_published=published)
    assert state is not None and state.last_reported == "2024-02"


def test_the_current_status_goes_beyond_its_history() -> None:
    # Closed in 2023, open again by an article of 2026-01 that gives no date.
    assert at(D(2025, 1, 1), CLOSURE, current="open", published=("2026-01",)) is None
    assert at(D(2026, 1, 31), CLOSURE, current="open", published=("2026-01",)) == (
        "open",
        "reported",
    )
