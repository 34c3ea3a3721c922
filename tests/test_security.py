"""Security headers on every answer (errors, 304s and cached answers too), CORS that never
allows credentials nor foreign writes unless configured, the docs pages and their switch."""

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.config import Settings
from app.main import create_app
from tests.conftest import POSTGRES_URL

CDN = "https://cdn.jsdelivr.net"


def assert_secured(response: httpx.Response) -> None:
    """The headers every answer carries, and a charset on every body."""
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    if response.content:
        assert "charset=utf-8" in headers["content-type"], headers["content-type"]


def app_on(engine: Engine, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=str(engine.url), **settings), engine=engine)


@pytest.fixture(scope="module")
def failing_client(seeded_engine: Engine) -> TestClient:
    """The service with one route that raises, as a bug would."""
    app = app_on(seeded_engine)

    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/broken", broken)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def gone_engine(backend: str, tmp_path: Path) -> Engine:
    """An engine on a database that isn't there (its server down, its file unreachable)."""
    if backend == "sqlite":
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("")
        return create_engine(f"sqlite:///{blocker / 'borderstatus.db'}")
    assert POSTGRES_URL is not None
    return create_engine("postgresql+psycopg://postgres@127.0.0.1:9/gone")


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/v1/crossings?country=LV", 200),
        ("HEAD", "/v1/borders", 200),
        ("GET", "/healthz", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/v1/crossings/atlantis", 404),
        ("GET", "/no/such/path", 404),
        ("DELETE", "/v1/crossings", 405),
        ("GET", "/v1/crossings?limit=0", 422),
        ("GET", "/v1/broken", 500),
    ],
)
def test_every_answer_carries_the_security_headers(
    failing_client: TestClient, method: str, url: str, status: int
) -> None:
    response = failing_client.request(method, url)
    assert response.status_code == status
    assert_secured(response)


def test_problem_json_names_its_charset(failing_client: TestClient) -> None:
    response = failing_client.get("/v1/crossings/atlantis")
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"


def test_the_openapi_document_names_its_charset(failing_client: TestClient) -> None:
    assert failing_client.get("/openapi.json").headers["content-type"] == (
        "application/json; charset=utf-8"
    )


def test_refused_bodies_carry_the_headers(failing_client: TestClient) -> None:
    too_large = failing_client.post(
        "/v1/crossings",
        content=b"[" + b"0," * 600_000 + b"0]",
        headers={"Content-Type": "application/json"},
    )
    assert too_large.status_code == 413
    assert_secured(too_large)
    wrong_type = failing_client.post(
        "/v1/crossings", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert_secured(wrong_type)


def test_a_cached_answer_and_its_304_carry_the_headers(
    client: TestClient, count_queries: Callable[[], int]
) -> None:
    url = "/v1/restrictions?country=EE"
    first = client.get(url)
    before = count_queries()
    again = client.get(url)
    assert count_queries() == before, "the repeat is answered from the cache"
    assert again.content == first.content
    assert_secured(again)
    not_modified = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304
    assert_secured(not_modified)


def test_a_database_outage_answer_carries_the_headers(gone_engine: Engine) -> None:
    response = TestClient(app_on(gone_engine)).get("/v1/borders")
    assert response.status_code == 503
    assert_secured(response)


def test_a_cors_preflight_carries_the_headers(client: TestClient) -> None:
    response = client.options(
        "/v1/crossings",
        headers={"Origin": "https://map.example.org", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert_secured(response)


# --- the docs pages --------------------------------------------------------------------------


def inline_script_hashes(html: str) -> set[str]:
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    }


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_the_docs_pages_may_load_their_cdn_and_their_own_inline_script(
    client: TestClient, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert_secured(response)
    policy = dict(
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
    )
    scripts = re.findall(r'<script src="([^"]+)"', response.text)
    assert scripts and all(s.startswith(CDN) for s in scripts)
    assert CDN in policy["script-src"].split()
    for digest in inline_script_hashes(response.text):
        assert digest in policy["script-src"].split()
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"


def test_the_api_policy_lets_in_nothing_from_elsewhere(client: TestClient) -> None:
    policy = client.get("/v1/borders").headers["content-security-policy"]
    assert "http" not in policy
    assert "unsafe" not in policy


def test_a_setting_turns_the_docs_pages_off(seeded_engine: Engine) -> None:
    client = TestClient(app_on(seeded_engine, docs_enabled=False))
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_docs_enabled_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCS_ENABLED", "false")
    assert Settings().docs_enabled is False


# --- CORS ------------------------------------------------------------------------------------


def preflight(
    client: TestClient, method: str, origin: str = "https://map.example.org"
) -> httpx.Response:
    response: httpx.Response = client.options(
        "/v1/crossings",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    return response


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_a_preflight_for_a_write_is_refused_by_default(client: TestClient, method: str) -> None:
    response = preflight(client, method)
    assert response.status_code == 400
    allowed = response.headers.get("access-control-allow-methods", "")
    assert method not in allowed


def test_credentials_are_never_allowed(client: TestClient) -> None:
    for response in (
        client.get("/v1/crossings", headers={"Origin": "https://map.example.org"}),
        preflight(client, "GET"),
        client.get("/v1/crossings", headers={"Origin": "https://a.example", "Cookie": "s=1"}),
    ):
        assert "access-control-allow-credentials" not in response.headers
        assert response.headers.get("access-control-allow-origin") in ("*", None)


def test_a_cross_origin_write_is_refused_before_routing(client: TestClient) -> None:
    response = client.post("/v1/crossings", content=b"", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert_secured(response)


@pytest.fixture(scope="module")
def writer_client(seeded_engine: Engine) -> TestClient:
    return TestClient(app_on(seeded_engine, cors_write_origins=["https://editor.example.org"]))


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_configured_write_origin_may_preflight_writes_with_a_token(
    writer_client: TestClient, method: str
) -> None:
    response = preflight(writer_client, method, origin="https://editor.example.org")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://editor.example.org"
    assert method in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_other_origins_still_may_not_write_when_one_is_configured(
    writer_client: TestClient,
) -> None:
    assert preflight(writer_client, "POST", origin="https://evil.example").status_code == 400
    response = writer_client.post("/v1/crossings", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_a_configured_write_origin_reads_like_everyone_else(writer_client: TestClient) -> None:
    """So the cached answer, which is the same for every origin, stays right for every origin."""
    response = writer_client.get("/v1/borders", headers={"Origin": "https://editor.example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_write_origins_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_WRITE_ORIGINS", "https://a.example, https://b.example/")
    assert Settings().cors_write_origins == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("CORS_WRITE_ORIGINS")
    assert Settings().cors_write_origins == []
