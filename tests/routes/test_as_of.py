"""`as_of` never says more than the sources: every record of every dated list, on every date
where its state can change and the days either side, answers a status its evidence supports,
and says what it rests on (docs/decisions.md, "What a status on a date rests on")."""

import datetime as dt
import json
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.dates import parse_partial
from app.history import period_before
from tests.routes.checks import assert_problem, get_ok, walk

DATED_LISTS = ["/v1/crossings", "/v1/restrictions", "/v1/fortifications"]
# Every answer that shows a state, and takes `as_of`.
STATEFUL = [
    *DATED_LISTS,
    "/v1/borders",
    "/v1/borders/LV-RU",
    "/v1/countries/LV",
    "/v1/crossings/narva",
    "/v1/restrictions/no-russian-plated-cars-ban",
    "/v1/fortifications/lv-border-fence",
]
DAY = dt.timedelta(days=1)


@cache
def evidence(client: TestClient) -> tuple[dict[str, Any], dict[str, str]]:
    """Every event by id, and every article's publication date by file."""
    events = {e["id"]: e for e in walk(client, "/v1/events", limit=500)}
    published = {s["file"]: s["published"] for s in walk(client, "/v1/sources")}
    return events, published


def turning_days(client: TestClient) -> list[dt.date]:
    """The days a status may change on (a dated change's first and last day, the period
    before it, an article's publication), and the day either side of each."""
    events, published = evidence(client)
    days: set[dt.date] = set()
    for date in [e["date"] for e in events.values()] + list(published.values()):
        first, last = parse_partial(date)
        days.update({first, last, period_before(date)})
    today = dt.datetime.now(dt.UTC).date()
    around = {d + step for d in days - {dt.date.min} for step in (-DAY, dt.timedelta(0), DAY)}
    return sorted(d for d in around if d <= today)


def last_day_reported(provenance: list[dict[str, Any]], published: dict[str, str]) -> dt.date:
    """The last day of the earliest publication among the cited articles."""
    return min(parse_partial(published[p["source_file"]])[1] for p in provenance)


def check(record: dict[str, Any], day: dt.date, client: TestClient) -> None:
    events, published = evidence(client)
    basis, status, event_id = record["status_basis"], record["status"], record["status_event"]
    where = f"{record['id']} on {day}: {status} ({basis}, event {event_id})"
    if basis == "none":
        assert status == "unknown" and event_id is None, where
        assert record["last_reported"] is None, where
        return
    assert status != "unknown", where
    assert record["last_reported"] is not None, where
    if event_id is None:
        # Its own citations report it as current: from its own start date where it has
        # one, else from when the first of them was out.
        assert basis == "reported", where
        reported = last_day_reported(record["provenance"], published)
        since = record.get("status_since", record.get("since"))
        if since is not None:
            first, last = parse_partial(since)
            reported = last if reported < first else min(last, reported)
        assert reported <= day, where
        return
    event = events[event_id]
    first, last = parse_partial(event["date"])
    if event["provenance"]:
        last = max(first, min(last, last_day_reported(event["provenance"], published)))
    if basis == "implied":
        # Just before the change: within one period of its date's precision.
        assert status == event["status_before"], where
        assert period_before(event["date"]) <= day < first, where
    else:
        assert status == event["status_after"], where
        held_from = first if event["status_before"] == event["status_after"] else last
        assert held_from <= day, where


@pytest.mark.parametrize("url", DATED_LISTS)
def test_every_answer_on_every_turning_day_rests_on_its_evidence(
    client: TestClient, url: str
) -> None:
    checked = 0
    for day in turning_days(client):
        for record in walk(client, url, as_of=day.isoformat(), limit=500):
            check(record, day, client)
            checked += 1
    assert checked > 40, "the walk reached the records"


def holds_from(event: dict[str, Any], published: dict[str, str]) -> dt.date:
    """The day a dated change holds from: the last of its date's period, or the end of the
    publication period of the first article reporting it, where that comes first."""
    first, last = parse_partial(event["date"])
    if event["provenance"]:
        known_by = last_day_reported(event["provenance"], published)
        last = known_by if first <= known_by < last else last
    return last


@pytest.mark.parametrize("url", DATED_LISTS)
def test_every_field_on_every_turning_day_is_what_its_dated_changes_set(
    client: TestClient, url: str
) -> None:
    events, published = evidence(client)
    changes: dict[str, list[tuple[dt.date, dict[str, Any]]]] = {}
    for event in events.values():
        if event["changes"] and event["subject"]:
            changes.setdefault(event["subject"]["id"], []).append(
                (holds_from(event, published), event)
            )
    now = {r["id"]: r for r in walk(client, url, limit=500)}
    undone = 0
    for day in turning_days(client):
        for record in walk(client, url, as_of=day.isoformat(), limit=500):
            for field in {
                c["field"] for _, e in changes.get(record["id"], []) for c in e["changes"]
            }:
                # The value before the first change after the day that set it; else today's.
                later = sorted(
                    (held, c["before"])
                    for held, e in changes[record["id"]]
                    if held > day
                    for c in e["changes"]
                    if c["field"] == field
                )
                expected = later[0][1] if later else now[record["id"]][field]
                assert record[field] == expected, f"{record['id']}.{field} on {day}"
                undone += bool(later)
    if url == "/v1/crossings":
        assert undone > 10, "the sweep reached days before a seeded change"


@pytest.mark.parametrize("url", DATED_LISTS)
def test_a_status_filter_as_of_a_day_lists_exactly_the_records_with_that_status(
    client: TestClient, url: str
) -> None:
    for day in turning_days(client)[::3]:
        listed = walk(client, url, as_of=day.isoformat(), limit=500)
        for status in {r["status"] for r in listed}:
            found = walk(client, url, as_of=day.isoformat(), status=status, limit=500)
            assert {r["id"] for r in found} == {r["id"] for r in listed if r["status"] == status}


def test_nothing_is_extrapolated_to_long_before_the_evidence(client: TestClient) -> None:
    for as_of in ["0001", "1990"]:
        crossings = walk(client, "/v1/crossings", as_of=as_of, limit=500)
        assert {(c["status"], c["status_basis"]) for c in crossings} == {("unknown", "none")}
        assert walk(client, "/v1/restrictions", as_of=as_of, limit=500) == []


@pytest.mark.parametrize("url", DATED_LISTS)
def test_as_of_today_answers_what_no_as_of_answers(client: TestClient, url: str) -> None:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert walk(client, url, as_of=today, limit=500) == walk(client, url, limit=500)
    assert get_ok(client, url, as_of=today)["meta"] == get_ok(client, url)["meta"]


@pytest.mark.parametrize("url", STATEFUL)
def test_every_answer_that_shows_a_state_takes_as_of(client: TestClient, url: str) -> None:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert get_ok(client, url, as_of=today) == get_ok(client, url)
    assert get_ok(client, url, as_of="2023-11") != get_ok(client, url)


def test_a_detail_as_of_a_day_answers_what_its_list_answers(client: TestClient) -> None:
    for day in turning_days(client)[::4]:
        for url in DATED_LISTS:
            for record in walk(client, url, as_of=day.isoformat(), limit=500):
                found = get_ok(client, f"{url}/{record['id']}", as_of=day.isoformat())
                assert {k: found[k] for k in record} == record, (url, record["id"], day)
                assert all(e["date"] <= day.isoformat() for e in found["history"])


def test_a_border_as_of_a_day_counts_its_crossings_by_their_status_then(
    client: TestClient,
) -> None:
    border = get_ok(client, "/v1/borders/LV-RU", as_of="2023-11")
    assert border["crossing_counts"] == {"open": 2, "closed": 0, "restricted": 0, "unknown": 2}
    assert {(c["id"], c["status"]) for c in border["crossings"]} == {
        ("vientuli", "open"),
        ("pededze", "open"),
        ("terehova", "unknown"),
        ("grebneva", "unknown"),
    }
    assert get_ok(client, "/v1/borders/LV-RU", as_of="2024")["crossing_counts"]["closed"] == 2


def test_a_country_as_of_long_ago_shows_nothing_the_sources_do_not_cover(
    client: TestClient,
) -> None:
    latvia = get_ok(client, "/v1/countries/LV", as_of="1990")
    assert (latvia["restrictions"], latvia["fortifications"], latvia["events"]) == ([], [], [])
    assert {c["status"] for c in latvia["crossings"]} == {"unknown"}
    assert {b["status_basis"] for b in latvia["borders"]} == {"none"}
    assert latvia["lists"]["restrictions"]["total"] == 0
    now = get_ok(client, "/v1/countries/LV")
    assert now["last_reported"] == "2026-01" and now["restrictions"]


@pytest.mark.parametrize("url", DATED_LISTS)
def test_a_date_after_today_is_refused_naming_today(client: TestClient, url: str) -> None:
    today = dt.datetime.now(dt.UTC).date()
    for later in [str(today.year + 1), "9999", (today + DAY * 2).isoformat()]:
        body = assert_problem(client.get(url, params={"as_of": later}), 422, "as_of")
        assert today.isoformat() in body["errors"][0]["message"]


@pytest.mark.parametrize("url", DATED_LISTS)
def test_a_period_not_over_yet_is_answered_as_of_today(client: TestClient, url: str) -> None:
    today = dt.datetime.now(dt.UTC).date()
    assert get_ok(client, url, as_of=str(today.year))["meta"]["as_of"] == today.isoformat()


@pytest.mark.parametrize(
    "stamp", ["2024-01-01T00:00", "2024-01-01T23:59:59Z", "2024-01-01 12:00:00+02:00"]
)
def test_a_timestamp_is_read_as_its_date(client: TestClient, stamp: str) -> None:
    assert get_ok(client, "/v1/crossings", as_of=stamp) == get_ok(
        client, "/v1/crossings", as_of="2024-01-01"
    )


def test_the_export_as_of_long_ago_holds_only_what_the_sources_cover(
    client: TestClient,
) -> None:
    response = client.get("/v1/export.ndjson", params={"as_of": "1990"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    types = {line["type"] for line in lines}
    assert {"restriction", "fortification"} & types == set()
    # The 1949 border agreement, and nothing later.
    assert [e["id"] for e in lines if e["type"] == "event"] == ["no-ru-border-agreement-1949"]
    assert {c["status"] for c in lines if c["type"] in ("crossing", "border")} == {"unknown"}
    assert_problem(client.get("/v1/export.ndjson", params={"as_of": "9999"}), 422, "as_of")


def test_a_csv_list_as_of_a_date_is_its_json_list_then(client: TestClient) -> None:
    for url in DATED_LISTS:
        body = client.get(url, params={"as_of": "2025", "format": "csv", "limit": 500})
        records = walk(client, url, as_of="2025", limit=500)
        assert {row.split(",")[0] for row in body.text.splitlines()[1:]} == {
            r["id"] for r in records
        }
