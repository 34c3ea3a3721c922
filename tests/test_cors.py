"""Browsers: any origin may read; only the configured write origins may write; credentials
never."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.conftest import TOKENS, writable_client
from tests.routes.checks import assert_problem
from tests.writes import close_narva, patch

CURATE = "https://curate.example.org"
OTHER = "https://map.example.org"


@pytest.fixture
def browser_writer(seeded_fresh_engine: Engine) -> TestClient:
    return writable_client(seeded_fresh_engine, cors_write_origins=[CURATE])


def preflight(client: TestClient, origin: str, method: str = "PATCH") -> dict[str, str]:
    response = client.options(
        "/v1/crossings/narva",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
        },
    )
    return {"status": str(response.status_code), **response.headers}


def test_a_write_origin_may_send_writes_with_a_token_but_no_credentials(
    browser_writer: TestClient,
) -> None:
    allowed = preflight(browser_writer, CURATE)

    assert allowed["status"] == "200"
    assert allowed["access-control-allow-origin"] == CURATE
    assert {"PATCH", "POST"} <= {
        m.strip() for m in allowed["access-control-allow-methods"].split(",")
    }
    assert "authorization" in allowed["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed

    response = patch(browser_writer, "/v1/crossings/narva", close_narva(), Origin=CURATE)

    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == CURATE
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("configured", [True, False])
def test_any_other_origin_may_not_write(seeded_fresh_engine: Engine, configured: bool) -> None:
    origins = [CURATE] if configured else []
    client = writable_client(seeded_fresh_engine, cors_write_origins=origins)

    refused = preflight(client, OTHER)
    response = patch(client, "/v1/crossings/narva", close_narva(), Origin=OTHER)

    assert refused["status"] == "400"
    assert refused.get("access-control-allow-origin") != OTHER
    assert_problem(response, 403)
    assert client.get("/v1/crossings/narva").json()["status"] == "open"


def test_the_service_itself_is_not_a_cross_origin_writer(writer: TestClient) -> None:
    # The interactive docs send writes with the service's own origin.
    own = patch(writer, "/v1/crossings/narva", close_narva(), Origin="http://testserver")
    assert own.status_code == 200, own.text


def test_reads_answer_every_origin_alike_with_writes_configured(browser_writer: TestClient) -> None:
    url = "/v1/crossings?country=EE"
    for origin in (CURATE, OTHER, CURATE):
        response = browser_writer.get(url, headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("lines", [[OTHER, CURATE], [CURATE, OTHER]], ids=["other", "curate"])
def test_a_write_with_two_origins_is_judged_by_the_first_as_its_cors_headers_are(
    browser_writer: TestClient, lines: list[str]
) -> None:
    headers = [
        ("Authorization", f"Bearer {TOKENS['alice']}"),
        ("If-Match", "*"),
        *(("Origin", line) for line in lines),
    ]
    response = browser_writer.patch("/v1/crossings/narva", headers=headers, json=close_narva())

    if lines[0] == CURATE:
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == CURATE
    else:
        assert_problem(response, 403)
        assert browser_writer.get("/v1/crossings/narva").json()["status"] == "open"
