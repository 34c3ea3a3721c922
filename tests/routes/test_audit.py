"""The audit log: who changed what, when, before and after; only curators may read it."""

from fastapi.testclient import TestClient

from tests.routes.checks import assert_problem, get_ok
from tests.writes import NARVA_QUEUES, auth, cite, close_narva, new_crossing, patch


def audit(client: TestClient, **params: object) -> dict[str, object]:
    response = client.get("/v1/audit", params=params, headers=auth())
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_each_write_is_recorded_with_who_when_what_before_and_after(writer: TestClient) -> None:
    narva_before = next(
        c for c in get_ok(writer, "/v1/crossings", country="EE")["data"] if c["id"] == "narva"
    )
    patch(writer, "/v1/crossings/narva", close_narva())
    writer.post("/v1/crossings", headers=auth("bob"), json=new_crossing())

    entries = audit(writer)["data"]

    assert isinstance(entries, list)
    created, closed = entries
    assert (created["curator"], created["method"], created["path"]) == (
        "bob",
        "POST",
        "/v1/crossings",
    )
    assert (created["action"], created["record_type"], created["record_id"]) == (
        "create",
        "crossing",
        "vaalimaa",
    )
    assert created["before"] is None
    assert created["after"]["id"] == "vaalimaa"
    assert (closed["curator"], closed["method"], closed["path"]) == (
        "alice",
        "PATCH",
        "/v1/crossings/narva",
    )
    assert closed["before"] == narva_before
    assert closed["after"] == next(
        c for c in get_ok(writer, "/v1/crossings", country="EE")["data"] if c["id"] == "narva"
    )
    assert created["id"] > closed["id"]
    assert created["at"] >= closed["at"]


def test_the_log_is_paged_newest_first_and_filtered_by_record(writer: TestClient) -> None:
    for n in range(3):
        body = {"notes": f"note {n}", "citations": cite(NARVA_QUEUES)}
        assert patch(writer, "/v1/crossings/narva", body).is_success
    assert writer.post("/v1/crossings", headers=auth(), json=new_crossing()).is_success

    first = audit(writer, limit=2)
    second = audit(writer, limit=2, cursor=first["meta"]["next"])  # type: ignore[index]
    narva = audit(writer, record_type="crossing", record_id="narva")

    assert first["meta"]["total"] == 4  # type: ignore[index]
    ids = [e["id"] for e in first["data"] + second["data"]]  # type: ignore[operator]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert second["meta"]["next"] is None  # type: ignore[index]
    notes = [e["after"]["notes"] for e in narva["data"]]  # type: ignore[attr-defined]
    assert notes == ["note 2", "note 1", "note 0"]


def test_reading_the_log_needs_a_token_and_is_never_cached(writer: TestClient) -> None:
    authorised = writer.get("/v1/audit", headers=auth())
    assert authorised.status_code == 200
    assert authorised.headers["cache-control"] == "private, no-store"

    for headers in ({}, {"Authorization": "Bearer wrong-0123456789abcdef"}):
        response = writer.get("/v1/audit", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_with_no_token_configured_the_log_is_a_403(client: TestClient) -> None:
    assert_problem(client.get("/v1/audit", headers=auth()), 403)


def test_a_bad_filter_or_cursor_is_a_422(writer: TestClient) -> None:
    assert_problem(writer.get("/v1/audit?record_type=x", headers=auth()), 422, "record_type")
    assert_problem(writer.get("/v1/audit?cursor=bogus!", headers=auth()), 422, "cursor")
    assert_problem(writer.get("/v1/audit?cursor=bogus", headers=auth()), 404, "cursor")
