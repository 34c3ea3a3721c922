"""What every write route shares: strict bodies, If-Match against lost updates,
Idempotency-Key against duplicates, and an answer only once the write is committed."""

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tests.conftest import writable_client
from tests.routes.checks import assert_problem, get_ok
from tests.test_main import openapi_schema
from tests.writes import (
    ARTICLE_000,
    FINNS_BUILDING,
    NARVA_QUEUES,
    auth,
    cite,
    close_narva,
    new_crossing,
    patch,
)


def audit_count(engine: Engine) -> int:
    """Audit entries, read on a connection of its own (what any other worker would see)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one())


# --- strict bodies --------------------------------------------------------------------------


def new_fortification(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "line",
        "summary": "Finnish fortifications along the border",
        "countries": ["FI"],
        "status": "under_construction",
        "citations": cite(FINNS_BUILDING, ARTICLE_000),
        **extra,
    }


def new_restriction(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "entry",
        "summary": "Finland closes every checkpoint on the Russian border",
        "countries": ["FI"],
        "status": "in_force",
        "citations": cite(NARVA_QUEUES),
        **extra,
    }


def new_source(**extra: Any) -> dict[str, Any]:
    return {
        "file": "900_strict.txt",
        "title": "A test article",
        "text": "The test checkpoint closed at noon. Trucks were turned back.",
        **extra,
    }


NARVA_NOTE = {"notes": "Queues.", "citations": cite(NARVA_QUEUES)}
INSPECTION_NOTE = {"since_note": "Since August 2024.", "citations": cite(NARVA_QUEUES)}
FENCE_NOTE = {"completion_note": "Planned.", "citations": cite(NARVA_QUEUES)}

# A value of another JSON type than the field's, each of which lax parsing would take.
WRONG_TYPES = [
    ("/v1/crossings", new_crossing(status_since_inferred="yes"), "status_since_inferred"),
    ("/v1/crossings", new_crossing(status_since_inferred=1), "status_since_inferred"),
    ("/v1/restrictions", new_restriction(since_inferred="true"), "since_inferred"),
    ("/v1/fortifications", new_fortification(count=True), "count"),
    ("/v1/fortifications", new_fortification(count="12"), "count"),
    ("/v1/fortifications", new_fortification(count=12.5), "count"),
    ("/v1/fortifications", new_fortification(length_km="12.5"), "length_km"),
    ("/v1/fortifications", new_fortification(budget_eur=False), "budget_eur"),
    ("/v1/fortifications", new_fortification(completion_inferred=0), "completion_inferred"),
    ("/v1/sources", new_source(published_inferred="false"), "published_inferred"),
    ("/v1/crossings/narva", NARVA_NOTE | {"status_since_inferred": "no"}, "status_since_inferred"),
    (
        "/v1/restrictions/ee-full-inspection",
        INSPECTION_NOTE | {"since_inferred": 1},
        "since_inferred",
    ),
    ("/v1/fortifications/fi-border-fence", FENCE_NOTE | {"count": True}, "count"),
    ("/v1/fortifications/fi-border-fence", FENCE_NOTE | {"length_km": "1"}, "length_km"),
    ("/v1/crossings/narva", NARVA_NOTE | {"aliases": ["Narva", 2]}, "aliases.1"),
    ("/v1/crossings/narva", {"citations": [{"file": ARTICLE_000, "text": 5}]}, "citations.0.text"),
]


@pytest.mark.parametrize(
    ("url", "body", "field"), WRONG_TYPES, ids=[f"{u} {f}" for u, _, f in WRONG_TYPES]
)
def test_a_value_of_the_wrong_type_is_a_422_naming_its_field_and_writes_nothing(
    writer: TestClient, seeded_fresh_engine: Engine, url: str, body: dict[str, Any], field: str
) -> None:
    if url.count("/") == 3:
        before = writer.get(url).content
        response = patch(writer, url, body)
        assert writer.get(url).content == before
    else:
        response = writer.post(url, headers=auth(), json=body)

    assert_problem(response, 422, field)
    assert audit_count(seeded_fresh_engine) == 0


def test_a_body_holds_what_the_documentation_promises(writer: TestClient) -> None:
    # Any number for a decimal, a whole number for an integer (JSON Schema's 3.0 is 3), dates
    # and vocabularies as strings.
    created = writer.post(
        "/v1/fortifications",
        headers=auth(),
        json=new_fortification(
            length_km=12, budget_eur=1.5e6, count=3.0, completion="2027-06", neighbour="RU"
        ),
    )

    assert created.status_code == 201, created.text
    fortification = created.json()
    assert (fortification["length_km"], fortification["budget_eur"]) == (12.0, 1_500_000.0)
    assert (fortification["count"], fortification["status"]) == (3, "under_construction")


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


@pytest.mark.parametrize("lines", [['"nope"', "{etag}"], ["{etag}", '"nope"']])
def test_if_match_on_several_lines_is_read_as_one_list(
    writer: TestClient, lines: list[str]
) -> None:
    etag = writer.get("/v1/restrictions/ee-full-inspection").headers["etag"]
    headers = [*auth().items(), *(("If-Match", line.format(etag=etag)) for line in lines)]

    response = writer.patch(
        "/v1/restrictions/ee-full-inspection",
        headers=headers,
        json={"since_note": "Since August 2024.", "citations": cite(NARVA_QUEUES)},
    )

    assert response.status_code == 200, response.text


PATCHES = [
    ("/v1/crossings/narva", NARVA_NOTE),
    ("/crossings/narva", NARVA_NOTE),
    ("/v1/restrictions/ee-full-inspection", INSPECTION_NOTE),
    ("/v1/fortifications/fi-border-fence", FENCE_NOTE),
]


@pytest.mark.parametrize(("url", "body"), PATCHES, ids=[u for u, _ in PATCHES])
def test_a_patch_without_if_match_is_a_428_and_changes_nothing(
    writer: TestClient, seeded_fresh_engine: Engine, url: str, body: dict[str, Any]
) -> None:
    before = writer.get(url)

    response = writer.patch(url, headers=auth(), json=body)

    problem = assert_problem(response, 428, "If-Match")
    assert "ETag" in problem["detail"]
    assert writer.get(url).content == before.content
    assert audit_count(seeded_fresh_engine) == 0


def test_without_require_if_match_a_patch_may_leave_it_out(seeded_fresh_engine: Engine) -> None:
    client = writable_client(seeded_fresh_engine, require_if_match=False)

    response = client.patch("/v1/crossings/narva", headers=auth(), json=close_narva())

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"


@pytest.mark.parametrize("path", ["/v1/crossings/{id}", "/v1/restrictions/{id}"])
def test_the_schema_says_a_patch_needs_if_match_and_answers_428_without(path: str) -> None:
    schema = openapi_schema()
    (operation,) = (
        operations["patch"]
        for template, operations in schema["paths"].items()
        if template.startswith(path.removesuffix("{id}")) and "patch" in operations
    )

    (header,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
    assert header["required"] is True
    assert "428" in header["description"]
    assert operation["responses"]["428"]["content"]["application/problem+json"]


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


def test_a_retry_with_the_same_json_spaced_and_ordered_otherwise_gets_the_first_answer(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    headers = auth(**{"Idempotency-Key": "spaced", "Content-Type": "application/json"})
    body = new_crossing()
    reordered = dict(reversed(body.items()))

    first = writer.post("/v1/crossings", headers=headers, content=json.dumps(body))
    retry = writer.post("/v1/crossings", headers=headers, content=json.dumps(reordered, indent=2))

    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert audit_count(seeded_fresh_engine) == 1


@pytest.mark.parametrize(
    ("first_url", "retry_url"),
    [("/v1/crossings/narva", "/crossings/narva"), ("/crossings/narva", "/v1/crossings/narva")],
)
def test_a_retry_to_the_other_spelling_of_the_route_gets_the_first_answer(
    writer: TestClient, seeded_fresh_engine: Engine, first_url: str, retry_url: str
) -> None:
    etag = writer.get(first_url).headers["etag"]
    headers = auth(**{"Idempotency-Key": "close-narva", "If-Match": etag})

    first = writer.patch(first_url, headers=headers, json=close_narva())
    retry = writer.patch(retry_url, headers=headers, json=close_narva())
    created = writer.post("/v1/crossings", headers=headers, json=new_crossing())

    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert audit_count(seeded_fresh_engine) == 1
    # Another route with the same key is another request.
    assert_problem(created, 422, "Idempotency-Key")


def test_the_same_key_and_body_for_another_record_is_a_422(writer: TestClient) -> None:
    headers = auth(**{"Idempotency-Key": "note", "If-Match": "*"})
    assert writer.patch("/v1/crossings/narva", headers=headers, json=NARVA_NOTE).is_success

    other = writer.patch("/v1/crossings/koidula", headers=headers, json=NARVA_NOTE)

    assert_problem(other, 422, "Idempotency-Key")
    assert get_ok(writer, "/v1/crossings/koidula")["notes"] != NARVA_NOTE["notes"]


@pytest.mark.parametrize(("stored", "status"), [("raw", 201), ("not a hash", 422)])
def test_a_key_stored_before_the_json_was_compared_parsed_is_harmless(
    writer: TestClient, seeded_fresh_engine: Engine, stored: str, status: int
) -> None:
    """A key stored with the hash of the raw request still answers the same bytes again; any
    other stored hash is a key used for another request, never an error of the service."""
    headers = auth(**{"Idempotency-Key": "from-before", "Content-Type": "application/json"})
    content = json.dumps(new_crossing()).encode()
    first = writer.post("/v1/crossings", headers=headers, content=content)
    raw = hashlib.sha256(b"POST\n/v1/crossings\n" + content).hexdigest()
    with seeded_fresh_engine.begin() as conn:
        conn.execute(
            text("UPDATE idempotency_key SET request_hash = :hash"),
            {"hash": raw if stored == "raw" else stored},
        )

    retry = writer.post("/v1/crossings", headers=headers, content=content)

    assert retry.status_code == status, retry.text
    if status == 201:
        assert retry.content == first.content
    assert audit_count(seeded_fresh_engine) == 1


def test_a_retried_patch_with_its_key_records_one_change(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    etag = writer.get("/v1/crossings/narva").headers["etag"]
    headers = auth(**{"Idempotency-Key": "close-narva", "If-Match": etag})
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
        headers={**auth(), "Idempotency-Key": key.encode()},
        json=new_crossing(),
    )
    assert_problem(response, 422, "Idempotency-Key")


# --- committed before acknowledged ----------------------------------------------------------


def test_an_acknowledged_write_is_already_visible_to_every_connection(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    response = patch(writer, "/v1/crossings/narva", close_narva())

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
    etag = client.get("/v1/crossings/narva").headers["etag"]
    monkeypatch.setattr(Session, "commit", commit)

    response = client.patch(
        "/v1/crossings/narva", headers=auth(**{"If-Match": etag}), json=close_narva()
    )

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

    patch(writer, "/v1/crossings/narva", close_narva())

    statuses = {c["id"]: c["status"] for c in writer.get(url).json()["data"]}
    assert statuses["narva"] == "closed"
