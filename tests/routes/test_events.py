from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.dates import parse_partial
from tests.routes.checks import assert_cited, assert_problem, get_ok, ids, statements, walk


def event_ids(client: TestClient, **params: object) -> list[str]:
    return ids(walk(client, "/v1/events", **params))


def start(event: dict[str, Any]) -> str:
    return parse_partial(event["date"])[0].isoformat()


def test_every_event_cites_its_sentences_verbatim(client: TestClient) -> None:
    events = walk(client, "/v1/events", limit=500)
    assert len(events) == 26
    for event in events:
        assert_cited(event["provenance"])


def test_the_timeline_is_oldest_first(client: TestClient) -> None:
    events = walk(client, "/v1/events")
    keys = [(start(e), e["id"]) for e in events]
    assert keys == sorted(keys)
    assert events[0]["id"] == "no-ru-border-agreement-1949"
    assert events[-1]["id"] == "pl-ottawa-withdrawal-announced-2026-01"


@pytest.mark.parametrize("limit", [1, 5, 23, 24])
def test_paging_keeps_the_order_and_walks_every_event_once(client: TestClient, limit: int) -> None:
    assert event_ids(client, limit=limit) == event_ids(client, limit=500)


def test_paging_through_events_of_the_same_date(client: TestClient) -> None:
    assert event_ids(client, **{"from": "2025", "to": "2025"}, limit=2) == [
        "lv-eastern-border-funding-2025",
        "lv-grebneva-pedestrian-ban-2025",
        "lv-terehova-pedestrian-ban-2025",
        "no-ru-kirkenes-border-talks-2025",
        "pl-by-checkpoint-closed-zapad-2025",
        "pl-ru-border-cooperation-stopped-2025",
        "lt-kaliningrad-transit-limit-proposed-2025",
        "lv-border-fence-completed-2025-12",
        "ru-kaliningrad-blockade-warning-2025-12-19",
    ]


def test_country_filter(client: TestClient) -> None:
    events = walk(client, "/v1/events", country="lv")
    assert ids(events) == [
        "tourist-visas-stopped-2022",
        "lv-pededze-closed-2023",
        "lv-vientuli-closed-2023",
        "lv-eastern-border-funding-2025",
        "lv-grebneva-pedestrian-ban-2025",
        "lv-terehova-pedestrian-ban-2025",
        "lv-border-fence-completed-2025-12",
    ]
    assert all("LV" in e["countries"] for e in events)
    assert event_ids(client, country="BY") == ["pl-by-checkpoint-closed-zapad-2025"]


@pytest.mark.parametrize(
    "params",
    [
        {"country": "LV"},
        {"country": "NO", "from": "2022"},
        {"country": "PL", "from": "2020", "to": "2025-09"},
        {"country": "LV", "kind": "closure"},
        {"from": "2023", "to": "2024"},
    ],
)
def test_the_total_is_how_many_events_the_timeline_walks(
    client: TestClient, params: dict[str, str]
) -> None:
    total = get_ok(client, "/v1/events", **params, limit=1)["meta"]["total"]
    assert total == len(event_ids(client, **params)) > 0


def test_from_and_to_take_partial_dates(client: TestClient) -> None:
    assert event_ids(client, to="2014") == [
        "no-ru-border-agreement-1949",
        "no-military-cooperation-suspended-2014",
    ]
    assert event_ids(client, **{"from": "2023-12", "to": "2023-12"}) == [
        "lv-pededze-closed-2023",
        "lv-vientuli-closed-2023",
    ]
    assert event_ids(client, **{"from": "2025-10", "to": "2025-10"}) == [
        "lt-kaliningrad-transit-limit-proposed-2025"
    ]
    # The Kirkenes meeting is dated by its year only (its printed day and weekday disagree).
    assert event_ids(client, **{"from": "2025-10-02", "to": "2025-10-02"}) == []
    assert event_ids(client, **{"from": "2026"}) == [
        "fi-ottawa-withdrawal-2026-01",
        "pl-ottawa-withdrawal-announced-2026-01",
    ]
    assert event_ids(client, **{"from": "2027"}) == []


def test_kind_filter(client: TestClient) -> None:
    closures = walk(client, "/v1/events", kind="closure")
    assert ids(closures) == [
        "fi-ru-checkpoints-closed-2023",
        "lv-pededze-closed-2023",
        "lv-vientuli-closed-2023",
        "pl-by-checkpoint-closed-zapad-2025",
    ]
    assert {e["kind"] for e in closures} == {"closure"}
    assert event_ids(client, kind="closure", country="FI", to="2023") == [
        "fi-ru-checkpoints-closed-2023"
    ]


def test_an_event_names_its_subject_and_status_change(client: TestClient) -> None:
    (closure,) = walk(client, "/v1/events", kind="closure", country="FI")
    assert closure["subject"] == {"type": "border", "id": "FI-RU"}
    assert (closure["status_before"], closure["status_after"]) == ("open", "closed")
    assert closure["date"] == "2023"
    assert closure["date_inferred"] is False
    (accession,) = walk(client, "/v1/events", kind="accession")
    assert accession["subject"] is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2025&to=2023", "from"),
        ("from=soon", "from"),
        ("to=2023-1", "to"),
        ("to=2023-02-29", "to"),
        ("kind=party", "kind"),
        ("country=UA", "country"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=abc%2B", "cursor"),
        # A well-formed cursor holding a key this endpoint never issues.
    ],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/events?{query}"), 422, parameter)


def test_an_empty_range_is_not_an_error(client: TestClient) -> None:
    body = get_ok(client, "/v1/events", **{"from": "1950", "to": "2013"})
    assert body["data"] == []
    assert body["meta"]["total"] == 0


@pytest.mark.parametrize("query", ["", "country=NO", "kind=ban", "from=2023&to=2025"])
def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int], query: str
) -> None:
    one = statements(uncached_client, count_queries, f"/v1/events?limit=1&{query}")
    many = statements(uncached_client, count_queries, f"/v1/events?limit=100&{query}")
    assert one == many
