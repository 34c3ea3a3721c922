"""Injection strings in every query and path parameter of the schema: never a 5xx, echoed back
only inside JSON (with nosniff, never as HTML or a header), and no row of any table changes."""

import json
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from tests.asgi import call
from tests.test_main import openapi_schema

INJECTIONS = [
    # SQL
    "' OR '1'='1",
    "'; DROP TABLE crossing; --",
    "1; DELETE FROM country",
    '" OR ""="',
    "') UNION SELECT name, sql FROM sqlite_master --",
    "1' AND pg_sleep(5) IS NULL --",
    "%' AND 1=1 --",
    # FTS5 query syntax
    '"unterminated',
    "fence NEAR/2 wall",
    "title:fence*",
    "* OR -",
    "^fence AND NOT",
    "{body title}: fence",
    # tsquery syntax
    "fence & | wall",
    "!(fence",
    "fence:* <-> wall",
    "'fence' & 'wall':AB",
    "\\",
    # LIKE wildcards
    "%",
    "_",
    "%%_%",
    "\\%",
    # HTML and script
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    # path traversal
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....//....//etc/passwd",
    # CRLF and header injection
    "x\r\nSet-Cookie: injected=1",
    "x%0d%0aX-Injected:%201",
    "x\nX-Injected: 1",
]
INJECTED_HEADERS = ("set-cookie", "x-injected")


def parameters() -> list[tuple[str, str, str]]:
    """(path, location, name) for every query and path parameter of every GET operation."""
    found = []
    for path, operations in openapi_schema()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            found.append((path, parameter["in"], parameter["name"]))
    return found


PATH_EXAMPLES = {"file": "001_2d175952eb0183b5.txt", "index": "18", "code": "LV"}


def url_with(path: str, location: str, name: str, value: str) -> tuple[str, dict[str, str]]:
    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if location == "path" and key == name:
            return quote(value, safe="")
        return PATH_EXAMPLES.get(key, "storskog")

    url = re.sub(r"\{([^}]+)\}", fill, path)
    params = {name: value} if location == "query" else {}
    if path == "/v1/search" and name != "q":
        params["q"] = "fence"
    return url, params


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in inspect(conn).get_table_names()
        }


def assert_safe(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, body[:300]
    assert headers["x-content-type-options"] == "nosniff"
    content_type = headers["content-type"]
    assert content_type.startswith(("application/json", "application/problem+json")), content_type
    assert not any(h in headers for h in INJECTED_HEADERS)
    assert b"\r" not in body and b"\n" not in body, "control characters stay JSON-escaped"
    parsed = json.loads(body)
    assert parsed is not None
    assert b"root:x:0:0" not in body
    assert b"Traceback" not in body


@pytest.mark.parametrize(
    ("path", "location", "name"), parameters(), ids=[f"{p} {n}" for p, _, n in parameters()]
)
def test_injection_strings_are_answered_safely_and_change_nothing(
    uncached_client: TestClient, seeded_engine: Engine, path: str, location: str, name: str
) -> None:
    before = row_counts(seeded_engine)
    for value in INJECTIONS:
        url, params = url_with(path, location, name, value)
        response = uncached_client.get(url, params=params)
        assert_safe(response.status_code, dict(response.headers), response.content)
    assert row_counts(seeded_engine) == before


def test_every_parameter_is_covered() -> None:
    names = {(p, n) for p, _, n in parameters()}
    assert ("/v1/search", "q") in names
    assert ("/v1/sources/{file}/sentences/{index}", "file") in names
    assert ("/v1/crossings", "cursor") in names


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sources/../../../../etc/passwd",
        "/v1/sources/..%2f..%2f..%2fetc%2fpasswd",
        "/v1/sources/%2e%2e/%2e%2e/app/main.py",
        "/v1/sources/001_2d175952eb0183b5.txt/../../../pyproject.toml",
        "/../../../../etc/passwd",
        "/v1/crossings/..",
    ],
)
def test_raw_traversal_paths_reach_no_file(uncached_client: TestClient, path: str) -> None:
    answer = call(uncached_client.app, "GET", path)
    assert answer.status in (404, 422), answer.body
    assert_safe(answer.status, answer.headers, answer.body)
    assert b"[project]" not in answer.body and b"import" not in answer.body


def test_an_injected_search_finds_what_its_words_find(uncached_client: TestClient) -> None:
    """Query syntax is taken as words, not as an FTS5 or tsquery expression."""
    plain = uncached_client.get("/v1/search", params={"q": "border fence"}).json()
    syntax = uncached_client.get("/v1/search", params={"q": "border NEAR/2 fence"}).json()
    operators = uncached_client.get("/v1/search", params={"q": "border & | fence"}).json()
    assert plain["meta"]["total"] > 0
    assert operators["data"] == plain["data"]
    assert syntax["meta"]["total"] <= plain["meta"]["total"]


def test_like_wildcards_match_themselves(uncached_client: TestClient) -> None:
    everything = uncached_client.get("/v1/restrictions").json()["meta"]["total"]
    percent = uncached_client.get("/v1/restrictions", params={"q": "%"}).json()["meta"]["total"]
    underscore = uncached_client.get("/v1/restrictions", params={"q": "_"}).json()
    assert everything > 0
    assert percent < everything
    assert underscore["meta"]["total"] < everything
