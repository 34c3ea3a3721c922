"""Every field of a record has a history: a dated change carries the fields it set, and `as_of`
a date rebuilds the whole record as it stood then, citations included."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.seed.dataset import RecordsError, check_references, history_changes, load_records
from tests.records_file import Records, edit_records, record
from tests.routes.checks import assert_problem, get_ok, walk
from tests.writes import FINLAND_CLOSED, NARVA_CLOSURE, NARVA_QUEUES, cite, close_narva, patch

KOIDULA_QUOTE = "Tallinn maintains the operation of all checkpoints"


def crossing_on(client: TestClient, crossing: str, as_of: str | None = None) -> dict[str, Any]:
    """A crossing as the list serves it, found by name, on a date (today when None)."""
    params = {"q": crossing} | ({"as_of": as_of} if as_of else {})
    data: list[dict[str, Any]] = get_ok(client, "/v1/crossings", **params)["data"]
    (found,) = [c for c in data if c["id"] == crossing]
    return found


def quotes(record: dict[str, Any]) -> list[str]:
    return [p["quote"] for p in record["provenance"]]


def test_a_dated_traffic_change_leaves_the_past_as_it_was(writer: TestClient) -> None:
    before = crossing_on(writer, "koidula", "2026-01")

    response = patch(
        writer,
        "/v1/crossings/koidula",
        {"traffic": ["bus", "truck"], "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)},
    )

    assert response.status_code == 200, response.text
    assert response.json()["traffic"] == ["bus", "truck"]
    past = crossing_on(writer, "koidula", "2026-01")
    assert past["traffic"] == [] == before["traffic"]
    assert past == before
    assert crossing_on(writer, "koidula", "2026-11-29")["traffic"] == []
    assert crossing_on(writer, "koidula", "2026-11-30")["traffic"] == ["bus", "truck"]
    # The change is a dated event that says what it set, cited.
    (event,) = [e for e in response.json()["history"] if e["date"] == "2026-11-30"]
    assert event["changes"] == [{"field": "traffic", "before": [], "after": ["bus", "truck"]}]
    assert (event["status_before"], event["status_after"]) == (None, None)
    assert [p["quote"] for p in event["provenance"]] == [NARVA_QUEUES]
    # The new quote supports the new traffic, not the old: the past cites what it cited then.
    assert NARVA_QUEUES in quotes(crossing_on(writer, "koidula"))
    assert NARVA_QUEUES not in quotes(past)


def test_every_detail_and_export_rebuilds_the_record_for_its_date(writer: TestClient) -> None:
    patch(
        writer,
        "/v1/crossings/koidula",
        {"traffic": ["truck"], "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)},
    ).raise_for_status()

    detail = get_ok(writer, "/v1/crossings/koidula", as_of="2026-01")
    assert detail["traffic"] == []
    exported = writer.get("/v1/export.ndjson", params={"as_of": "2026-01"}).text
    (line,) = [row for row in exported.splitlines() if '"id":"koidula"' in row]
    assert '"traffic":[]' in line


def ids(client: TestClient, url: str, **params: Any) -> list[str]:
    """The ids of every record a list gives, over all its pages; checks its total."""
    found = [r["id"] for r in walk(client, url, **params)]
    assert get_ok(client, url, **params)["meta"]["total"] == len(found)
    return found


def test_a_list_filters_on_the_values_records_had_on_the_date(writer: TestClient) -> None:
    patch(
        writer,
        "/v1/crossings/koidula",
        {"traffic": ["bus"], "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)},
    ).raise_for_status()
    patch(
        writer,
        "/v1/crossings/kybartai",
        {"traffic": ["truck"], "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)},
    ).raise_for_status()

    assert "koidula" in ids(writer, "/v1/crossings", traffic="bus")
    assert "koidula" not in ids(writer, "/v1/crossings", traffic="bus", as_of="2026-01")
    assert "kybartai" not in ids(writer, "/v1/crossings", traffic="car")
    # Listed as it was then, among the records unchanged since, in id order, one per page.
    cars_then = ids(writer, "/v1/crossings", traffic="car", as_of="2026-01", limit=1)
    assert "kybartai" in cars_then
    assert cars_then == sorted(cars_then)
    assert cars_then == ids(writer, "/v1/crossings", traffic="car", as_of="2026-01")
    assert ids(writer, "/v1/crossings", traffic="car", as_of="2026-12-01") == [
        c for c in cars_then if c != "kybartai"
    ]
    # The CSV, and a country's page, read the same values.
    csv = writer.get(
        "/v1/crossings", params={"traffic": "car", "as_of": "2026-01", "format": "csv"}
    )
    assert csv.status_code == 200, csv.text
    assert "kybartai" in csv.text
    lithuania = get_ok(writer, "/v1/countries/LT", as_of="2026-01")
    assert [c["traffic"] for c in lithuania["crossings"] if c["id"] == "kybartai"] == [
        ["car", "truck"]
    ]


def test_a_name_and_a_country_match_as_they_stood_on_the_date(writer: TestClient) -> None:
    patch(
        writer,
        "/v1/crossings/koidula",
        {"aliases": ["Pechory"], "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)},
    ).raise_for_status()
    patch(
        writer,
        "/v1/restrictions/no-sanctions",
        {"countries": ["NO", "FI"], "effective": "2026-11-30", "citations": cite(FINLAND_CLOSED)},
    ).raise_for_status()

    assert ids(writer, "/v1/crossings", q="pechory") == ["koidula"]
    assert ids(writer, "/v1/crossings", q="pechory", as_of="2026-01") == []
    assert "no-sanctions" in ids(writer, "/v1/restrictions", country="FI")
    assert "no-sanctions" not in ids(writer, "/v1/restrictions", country="FI", as_of="2026-01")
    assert "no-sanctions" in ids(writer, "/v1/restrictions", country="NO", as_of="2026-01")


def test_the_seeded_history_is_what_a_list_of_the_past_filters_on(client: TestClient) -> None:
    # Terehova took pedestrians in 2024; it takes none now.
    assert "terehova" in ids(client, "/v1/crossings", traffic="pedestrian", as_of="2024-06")
    assert "terehova" not in ids(client, "/v1/crossings", traffic="pedestrian")


def test_a_status_change_keeps_the_text_and_citations_it_replaced(writer: TestClient) -> None:
    old = crossing_on(writer, "narva", "2025-01")

    response = patch(writer, "/v1/crossings/narva", close_narva(effective="2026-06-02"))

    assert response.status_code == 200, response.text
    now = crossing_on(writer, "narva")
    assert quotes(now) == [NARVA_CLOSURE]
    past = crossing_on(writer, "narva", "2026-06-01")
    assert past["notes"] == old["notes"] != now["notes"]
    assert quotes(past) == quotes(old)
    (event,) = [e for e in response.json()["history"] if e["date"] == "2026-06-02"]
    assert [c["field"] for c in event["changes"]] == ["notes"]


def test_a_correction_without_a_date_holds_for_every_date(writer: TestClient) -> None:
    response = patch(
        writer, "/v1/crossings/koidula", {"traffic": ["car"], "citations": cite(NARVA_QUEUES)}
    )

    assert response.status_code == 200, response.text
    assert crossing_on(writer, "koidula", "2026-01")["traffic"] == ["car"]
    assert not [e for e in response.json()["history"] if e["changes"]]


def test_a_date_for_a_write_that_changes_nothing_dated_is_a_422(writer: TestClient) -> None:
    before = get_ok(writer, "/v1/crossings/koidula")

    body = {"effective": "2026-11-30", "citations": cite(KOIDULA_QUOTE)}
    response = patch(writer, "/v1/crossings/koidula", body)

    assert_problem(response, 422, "effective")
    assert get_ok(writer, "/v1/crossings/koidula") == before


# --- the seed file's dated states --------------------------------------------------------


def test_the_seeded_history_of_a_crossing_gives_its_earlier_traffic(client: TestClient) -> None:
    # Terehova took pedestrians until Latvia banned them there in spring 2025.
    earlier = crossing_on(client, "terehova", "2024-06")
    assert (earlier["status"], earlier["status_basis"]) == ("open", "implied")
    assert earlier["traffic"] == ["car", "pedestrian"]
    assert quotes(earlier) == [
        "this spring banned the passage of pedestrians at the two remaining checkpoints"
    ]
    now = crossing_on(client, "terehova")
    assert now["traffic"] == ["car"]
    assert "pedestrian" not in now["notes"]
    (ban,) = [e for e in get_ok(client, "/v1/crossings/terehova")["history"] if e["kind"] == "ban"]
    assert {c["field"] for c in ban["changes"]} == {"notes", "traffic"}


def test_the_seed_gives_each_event_the_fields_its_state_differs_in(seed_copy: Path) -> None:
    def edit(records: Records) -> None:
        # Grebņeva's earlier state gives its notes as they are now: only its traffic changed.
        grebneva = record(records, "crossings", "grebneva")
        grebneva["history"][0]["notes"] = grebneva["notes"]

    edit_records(seed_copy, edit)

    changes = history_changes(load_records(seed_copy / "records.yaml"))

    assert json.loads(changes["lv-grebneva-pedestrian-ban-2025"] or "") == {
        "traffic": {"before": ["car", "pedestrian"], "after": ["car"]}
    }
    assert set(json.loads(changes["lv-terehova-pedestrian-ban-2025"] or "")) == {
        "notes",
        "traffic",
    }


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"until": "no-such-event", "traffic": ["car"]}, "is no event about the record"),
        ({"until": "lv-grebneva-pedestrian-ban-2025"}, "is no event about the record"),
        ({"until": "lv-terehova-pedestrian-ban-2025", "status": "open"}, "can't give status"),
        ({"until": "lv-terehova-pedestrian-ban-2025", "traffic": ["horse"]}, "traffic"),
    ],
)
def test_a_state_that_does_not_fit_its_record_is_refused(
    seed_copy: Path, state: dict[str, Any], message: str
) -> None:
    def edit(records: Records) -> None:
        record(records, "crossings", "terehova")["history"] = [state]

    edit_records(seed_copy, edit)

    with pytest.raises(RecordsError, match=message):
        check_references(load_records(seed_copy / "records.yaml"))
