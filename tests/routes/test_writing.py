"""What every write route shares: If-Match against lost updates, Idempotency-Key against
duplicates, and an answer only once the write is committed."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tests.conftest import writable_client
from tests.routes.checks import assert_problem, get_ok
from tests.writes import NARVA_QUEUES, auth, cite, close_narva, new_crossing


def audit_count(engine: Engine) -> int:
    """Audit entries, read on a connection of its own (what any other worker would see)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one())


# --- If-Match -------------------------------------------------------------------------------


def test_a_patch_with_the_etag_of_the_get_succeeds_and_answers_the_new_etag(
    writer: TestClient,
) -> None:
    etag = writer.get("/v1/crossings/narva").headers["etag"]

    response = writer.patch(
        "/v1/crossings/narva", headers=auth(**{"If-Match": etag}), json=close_narva()
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    fresh = writer.get("/v1/crossings/narva")
    assert response.headers["etag"] == fresh.headers["etag"] != etag
    assert response.content == fresh.content


def test_a_patch_with_a_stale_etag_is_a_412_and_changes_nothing(writer: TestClient) -> None:
    stale = writer.get("/v1/crossings/narva").headers["etag"]
    first = writer.patch(
        "/v1/crossings/narva", headers=auth(**{"If-Match": stale}), json=close_narva()
    )
    assert first.status_code == 200

    second = writer.patch(
        "/v1/crossings/narva",
        headers=auth("bob", **{"If-Match": stale}),
        json={"notes": "Reopened?", "citations": cite(NARVA_QUEUES)},
    )

    assert_problem(second, 412)
    assert second.headers["etag"] == first.headers["etag"]
    narva = get_ok(writer, "/v1/crossings/narva")
    assert (narva["status"], narva["notes"]) == ("closed", first.json()["notes"])


@pytest.mark.parametrize(
    ("if_match", "status"), [("*", 200), ('"nope", {etag}', 200), ("W/{etag}", 412)]
)
def test_if_match_takes_a_list_and_a_star_and_compares_strongly(
    writer: TestClient, if_match: str, status: int
) -> None:
    etag = writer.get("/v1/restrictions/ee-full-inspection").headers["etag"]

    response = writer.patch(
        "/v1/restrictions/ee-full-inspection",
        headers=auth(**{"If-Match": if_match.format(etag=etag)}),
        json={"since_note": "Since August 2024.", "citations": cite(NARVA_QUEUES)},
    )

    assert response.status_code == status, response.text


def test_a_post_answers_the_etag_a_get_gives(writer: TestClient) -> None:
    created = writer.post("/v1/crossings", headers=auth(), json=new_crossing())
    assert created.headers["etag"] == writer.get("/v1/crossings/vaalimaa").headers["etag"]


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_retried_post_with_its_key_gets_the_first_answer_and_writes_once(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    headers = auth(**{"Idempotency-Key": "4a1c9e0f-create-vaalimaa"})

    first = writer.post("/v1/crossings", headers=headers, json=new_crossing())
    retry = writer.post("/v1/crossings", headers=headers, json=new_crossing())

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert audit_count(seeded_fresh_engine) == 1
    # Without the key, the same body is a second create: a 409.
    assert_problem(writer.post("/v1/crossings", headers=auth(), json=new_crossing()), 409)


def test_the_same_key_with_another_body_is_a_422(writer: TestClient) -> None:
    headers = auth(**{"Idempotency-Key": "key-1"})
    assert writer.post("/v1/crossings", headers=headers, json=new_crossing()).status_code == 201

    other = writer.post("/v1/crossings", headers=headers, json=new_crossing(name="Nuijamaa"))

    assert_problem(other, 422, "Idempotency-Key")
    assert writer.get("/v1/crossings/nuijamaa").status_code == 404


def test_keys_are_per_curator(writer: TestClient) -> None:
    key = {"Idempotency-Key": "shared-key"}
    alice = writer.post("/v1/crossings", headers=auth(**key), json=new_crossing())
    bob = writer.post("/v1/crossings", headers=auth("bob", **key), json=new_crossing())
    assert alice.status_code == 201
    assert_problem(bob, 409)


def test_a_retried_patch_with_its_key_records_one_change(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    headers = auth(**{"Idempotency-Key": "close-narva"})
    body = close_narva(effective="2025-06-02")

    first = writer.patch("/v1/crossings/narva", headers=headers, json=body)
    retry = writer.patch("/v1/crossings/narva", headers=headers, json=body)

    assert retry.status_code == first.status_code == 200
    assert retry.content == first.content
    assert audit_count(seeded_fresh_engine) == 1
    closures = [
        e for e in get_ok(writer, "/v1/crossings/narva")["history"] if e["date"] == "2025-06-02"
    ]
    assert len(closures) == 1


def test_a_failed_write_stores_no_key(writer: TestClient) -> None:
    headers = auth(**{"Idempotency-Key": "first-try"})
    failed = writer.post("/v1/crossings", headers=headers, json=new_crossing(country="XX"))
    assert_problem(failed, 422, "country")
    assert writer.post("/v1/crossings", headers=headers, json=new_crossing()).status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "é", "x" * 256])
def test_a_malformed_key_is_a_422(writer: TestClient, key: str) -> None:
    response = writer.post(
        "/v1/crossings",
        headers={**auth(), "Idempotency-Key": key.encode()},  # type: ignore[dict-item]
        json=new_crossing(),
    )
    assert_problem(response, 422, "Idempotency-Key")


# --- committed before acknowledged ----------------------------------------------------------


def test_an_acknowledged_write_is_already_visible_to_every_connection(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    response = writer.patch("/v1/crossings/narva", headers=auth(), json=close_narva())

    assert response.status_code == 200
    with seeded_fresh_engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM crossing WHERE id = 'narva'")).scalar_one()
        version = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    assert status == "closed"
    assert version >= 2  # the seed's, then this write's
    assert audit_count(seeded_fresh_engine) == 1


def test_a_write_whose_commit_fails_is_not_acknowledged(
    seeded_fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def commit(_session: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    client = writable_client(seeded_fresh_engine, raise_server_exceptions=False)
    monkeypatch.setattr(Session, "commit", commit)

    response = client.patch("/v1/crossings/narva", headers=auth(), json=close_narva())

    # The database failed (an I/O error), so the answer says to try again, not that it held.
    assert_problem(response, 503)
    assert "retry-after" in response.headers
    monkeypatch.undo()
    assert get_ok(client, "/v1/crossings/narva")["status"] == "open"
    assert audit_count(seeded_fresh_engine) == 0


def test_a_write_shows_at_once_in_this_worker_despite_the_cache(writer: TestClient) -> None:
    url = "/v1/crossings?country=EE"
    cached = writer.get(url)
    assert writer.get(url).content == cached.content

    writer.patch("/v1/crossings/narva", headers=auth(), json=close_narva())

    statuses = {c["id"]: c["status"] for c in writer.get(url).json()["data"]}
    assert statuses["narva"] == "closed"
