"""Only curators write: every unsafe route refuses a missing or wrong token, writes are off
with no token configured, and failed logins and writes are rate limited."""

import re
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.routing import Route

from app.auth import SAFE_METHODS
from app.main import create_app
from tests.conftest import TOKENS, Databases, client_for, writable_client
from tests.routes.checks import assert_problem, get_ok
from tests.writes import NARVA_QUEUES, auth, cite, close_narva, new_crossing, patch


def app_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str]]]:
    """(path, methods) of every route of the application, through included routers (FastAPI
    keeps an included router as one entry that holds its routes and its prefix)."""
    found: list[tuple[str, set[str]]] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += app_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route):
            found.append((prefix + route.path, set(route.methods or ())))
    return found


def unsafe_requests() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a method other than GET, HEAD or OPTIONS,
    with its path parameters filled in: a route added later is in this list too."""
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "narva", path))
        for path, methods in app_routes(create_app().routes)
        for method in methods - SAFE_METHODS
    )


UNSAFE = unsafe_requests()


def test_the_unsafe_routes_are_the_write_api() -> None:
    paths = {path for _method, path in UNSAFE}
    assert {"/v1/crossings", "/v1/crossings/narva", "/v1/sources", "/crossings"} <= paths
    assert {method for method, _path in UNSAFE} == {"POST", "PATCH"}


@pytest.fixture(scope="module")
def guarded(databases: Databases) -> TestClient:
    """One database for the tests that every write is refused (so none changes it)."""
    return writable_client(databases.seeded())


@pytest.mark.parametrize(("method", "path"), UNSAFE)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": f"Basic {TOKENS['alice']}"},
        {"Authorization": "Bearer"},
    ],
    ids=["no-token", "wrong-token", "not-bearer", "empty-bearer"],
)
def test_every_unsafe_route_refuses_a_missing_or_wrong_token(
    guarded: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    before = get_ok(guarded, "/v1/crossings/narva")

    response = guarded.request(method, path, headers=headers, json=close_narva())

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert get_ok(guarded, "/v1/crossings/narva") == before
    assert get_ok(guarded, "/v1/sources")["meta"]["total"] == 4


@pytest.mark.parametrize(("method", "path"), UNSAFE)
def test_with_no_token_configured_every_write_is_a_403(
    seeded_engine: Engine, method: str, path: str
) -> None:
    client = client_for(seeded_engine)

    response = client.request(method, path, headers=auth(), json=close_narva())

    body = assert_problem(response, 403)
    assert "CURATOR_TOKENS" in body["detail"]
    assert client.get("/v1/crossings/narva").status_code == 200


@pytest.mark.parametrize(("method", "path"), [*UNSAFE, ("GET", "/v1/audit")])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": f"Basic {TOKENS['alice']}"}, {"Authorization": "Bearer a b"}],
    ids=["no-token", "not-bearer", "malformed-bearer"],
)
def test_with_no_token_configured_a_request_without_a_bearer_token_is_a_401(
    seeded_engine: Engine, method: str, path: str, headers: dict[str, str]
) -> None:
    """RFC 9110: the answer to missing credentials says how to give them, whether or not
    this service takes writes; only a well-formed token learns that writes are off."""
    client = client_for(seeded_engine)

    response = client.request(method, path, headers=headers, json=close_narva())

    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="borderstatus"'
    assert "takes no writes" in body["detail"]
    assert get_ok(client, "/v1/crossings/narva")["status"] == "open"


def test_a_wrong_token_is_told_apart_from_a_missing_one(writer: TestClient) -> None:
    missing = writer.patch("/v1/crossings/narva", json=close_narva())
    wrong = writer.patch(
        "/v1/crossings/narva", headers={"Authorization": "Bearer nope"}, json=close_narva()
    )
    assert "error" not in missing.headers["www-authenticate"]
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


def test_each_curator_is_named_by_their_token(writer: TestClient) -> None:
    assert patch(writer, "/v1/crossings/narva", close_narva(), "bob").is_success
    entries = writer.get("/v1/audit", headers=auth("alice")).json()["data"]
    assert [e["curator"] for e in entries] == ["bob"]


def test_tokens_may_come_hashed_from_a_file(seeded_fresh_engine: Engine, tmp_path: Any) -> None:
    import hashlib

    secrets = tmp_path / "curators"
    digest = hashlib.sha256(b"carol-0123456789abcdef").hexdigest()
    secrets.write_text(f"# name sha256\ncarol {digest}\n", "utf-8")
    client = writable_client(seeded_fresh_engine, curator_tokens="", curator_tokens_file=secrets)

    carol = client.patch(
        "/v1/crossings/narva",
        headers={"Authorization": "Bearer carol-0123456789abcdef", "If-Match": "*"},
        json=close_narva(),
    )
    alice = patch(client, "/v1/crossings/narva", close_narva())

    assert carol.status_code == 200, carol.text
    assert_problem(alice, 401)


def retry_after(response: httpx.Response) -> int:
    assert_problem(response, 429)
    return int(response.headers["retry-after"])


def test_failed_logins_are_rate_limited_per_client(seeded_fresh_engine: Engine) -> None:
    client = writable_client(seeded_fresh_engine, auth_failure_rate_limit="2/minute")
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}

    first = [client.patch("/v1/crossings/narva", headers=wrong, json=close_narva()) for _ in "ab"]
    third = client.patch("/v1/crossings/narva", headers=wrong, json=close_narva())
    missing = client.get("/v1/audit")

    assert [r.status_code for r in first] == [401, 401]
    assert 0 < retry_after(third) <= 60
    assert 0 < retry_after(missing) <= 60
    assert client.get("/v1/crossings/narva").json()["status"] == "open"


def test_the_right_token_is_not_locked_out_by_failures_from_its_address(
    seeded_fresh_engine: Engine,
) -> None:
    """Only the guesses are limited: a stranger can't lock a curator out by failing at their
    address (a shared proxy, a NAT, or one they spoofed)."""
    client = writable_client(seeded_fresh_engine, auth_failure_rate_limit="2/minute")
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    for _ in range(3):
        client.get("/v1/audit", headers=wrong)

    right = client.post("/v1/crossings", headers=auth(), json=new_crossing())
    audit = client.get("/v1/audit", headers=auth())
    still_wrong = client.get("/v1/audit", headers=wrong)

    assert right.status_code == 201, right.text
    assert audit.status_code == 200
    assert 0 < retry_after(still_wrong) <= 60


def test_missing_tokens_are_not_counted_as_failed_logins(seeded_fresh_engine: Engine) -> None:
    client = writable_client(seeded_fresh_engine, auth_failure_rate_limit="1/minute")
    for _ in range(3):
        assert client.patch("/v1/crossings/narva", json=close_narva()).status_code == 401
    assert patch(client, "/v1/crossings/narva", close_narva()).is_success


def test_writes_are_rate_limited_per_curator(seeded_fresh_engine: Engine) -> None:
    client = writable_client(seeded_fresh_engine, write_rate_limit="2/minute")

    def note(n: int, who: str = "alice") -> httpx.Response:
        body = {"notes": f"note {n}", "citations": cite(NARVA_QUEUES)}
        return patch(client, "/v1/crossings/narva", body, who)

    assert [note(1).status_code, note(2).status_code] == [200, 200]
    limited = note(3)
    assert 0 < retry_after(limited) <= 60
    assert note(4, "bob").status_code == 200
    assert client.get("/v1/crossings/narva").json()["notes"] == "note 4"
    # Reads are not writes.
    assert client.get("/v1/audit", headers=auth()).status_code == 200


@pytest.mark.slow
def test_writes_start_no_thread_for_their_rate_limit(
    seeded_fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rate limits keep their windows on the event loop. The threaded storage started a
    timer thread at the first write after each quiet moment, and the event loop waited for
    each thread to start: milliseconds a write on a machine short of CPU."""
    started: list[str] = []
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(type(thread).__name__)
        real_start(thread)

    def write(n: int) -> None:
        body = {"notes": f"note {n}", "citations": cite(NARVA_QUEUES)}
        assert patch(client, "/v1/crossings/narva", body).is_success
        time.sleep(0.05)  # a quiet moment: the threaded storage's timer has ended

    with writable_client(seeded_fresh_engine) as client:
        for n in range(3):  # the threads any write needs, started once
            write(n)
        monkeypatch.setattr(threading.Thread, "start", start)
        for n in range(3, 13):
            write(n)
        during_writes = list(started)
    assert during_writes == []


def test_two_authorization_lines_are_a_400_even_with_the_right_token(writer: TestClient) -> None:
    """The service would read the first line and a proxy in front may read the last."""
    for lines in ([auth(), auth("bob")], [{"Authorization": "Bearer wrong-token-0123"}, auth()]):
        headers = [(name, value) for line in lines for name, value in line.items()]
        response = writer.patch("/v1/crossings/narva", headers=headers, json=close_narva())
        assert_problem(response, 400)
        assert "one Authorization" in response.json()["detail"]
    assert writer.get("/v1/crossings/narva").json()["status"] == "open"


def test_reads_stay_public(writer: TestClient) -> None:
    assert writer.get("/v1/crossings/narva").status_code == 200
    assert writer.get("/v1/crossings/narva", headers={"Authorization": "Bearer x"}).is_success


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("token", [False, True], ids=["no-token", "curator"])
def test_a_method_the_static_files_do_not_serve_is_a_405(
    writer: TestClient, method: str, token: bool
) -> None:
    response = writer.request(method, "/static/api.js", headers=auth() if token else {})

    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD"
    assert writer.get("/static/api.js").status_code == 200
