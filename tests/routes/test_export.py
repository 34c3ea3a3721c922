"""GET /v1/export.ndjson: every record, a JSON object per line with its type and provenance,
streamed and never cached."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import assert_all_cited, assert_problem, uncited_unknown, walk
from tests.writes import close_narva, patch

NDJSON = "application/x-ndjson"
# Each line type, and the list that serves the same records.
LISTS = {
    "country": "/v1/countries",
    "source": "/v1/sources",
    "border": "/v1/borders",
    "crossing": "/v1/crossings",
    "restriction": "/v1/restrictions",
    "fortification": "/v1/fortifications",
    "event": "/v1/events",
}


def lines(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == NDJSON
    assert response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()]


def test_every_record_is_a_line_with_its_type_as_its_list_serves_it(client: TestClient) -> None:
    found = lines(client.get("/v1/export.ndjson"))

    by_type: dict[str, list[dict[str, Any]]] = {}
    for line in found:
        record = dict(line)
        by_type.setdefault(record.pop("type"), []).append(record)
    assert list(by_type) == [*LISTS][:6] + ["fact", "event"], "kinds in a fixed order"
    for line_type, url in LISTS.items():
        assert by_type[line_type] == walk(client, url), line_type
    disputed = [fact for fact in by_type["fact"] if fact["disputed"]]
    assert disputed == walk(client, "/v1/conflicts")
    assert len(by_type["fact"]) > len(disputed), "undisputed facts too"


def test_every_record_line_carries_its_provenance(client: TestClient) -> None:
    found = lines(client.get("/v1/export.ndjson"))

    for line in found:
        if line["type"] in ("country", "source"):
            assert "provenance" not in line
        elif line["type"] == "fact":
            assert all(claim["provenance"] for claim in line["claims"]), line["id"]
        elif not uncited_unknown(line):
            assert line["provenance"], (line["type"], line["id"])
    assert assert_all_cited(found) > len(found) // 2


@pytest.mark.parametrize("kind", ["crossings", "facts", "events", "countries"])
def test_type_gives_one_kind_of_record(client: TestClient, kind: str) -> None:
    every = lines(client.get("/v1/export.ndjson"))

    response = client.get("/v1/export.ndjson", params={"type": kind})

    wanted = {"crossings": "crossing", "facts": "fact", "events": "event", "countries": "country"}
    assert lines(response) == [line for line in every if line["type"] == wanted[kind]]
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="borderstatus-{kind}.ndjson"'


def test_the_export_is_streamed_never_cached_and_carries_the_security_headers(
    client: TestClient,
) -> None:
    first = client.get("/v1/export.ndjson", headers={"Origin": "https://map.example.org"})
    again = client.get("/v1/export.ndjson")

    assert first.content == again.content
    for response in (first, again):
        assert response.headers["cache-control"] == "no-store"
        assert "etag" not in response.headers
        assert "content-length" not in response.headers
        for name in ("x-content-type-options", "content-security-policy", "referrer-policy"):
            assert name in response.headers
    assert first.headers["access-control-allow-origin"] == "*"


def test_a_head_gets_the_headers_alone(client: TestClient) -> None:
    response = client.head("/v1/export.ndjson")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == NDJSON


def test_the_export_shows_a_write_at_once(writer: TestClient) -> None:
    def narva() -> dict[str, Any]:
        found = lines(writer.get("/v1/export.ndjson", params={"type": "crossings"}))
        (line,) = [line for line in found if line["id"] == "narva"]
        return line

    before = narva()
    patched = patch(writer, "/v1/crossings/narva", close_narva())

    assert patched.status_code == 200, patched.text
    assert (before["status"], narva()["status"]) == ("open", "closed")


@pytest.mark.parametrize("query", ["type=conflicts", "type=", "format=csv", "limit=10"])
def test_an_unknown_type_or_parameter_is_a_422(client: TestClient, query: str) -> None:
    name = query.partition("=")[0]
    assert_problem(client.get(f"/v1/export.ndjson?{query}"), 422, name)


def test_the_export_answers_without_the_prefix_too(client: TestClient) -> None:
    assert client.get("/export.ndjson?type=borders").content == (
        client.get("/v1/export.ndjson?type=borders").content
    )
