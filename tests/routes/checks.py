"""Assertions the route tests share: provenance against the articles, problem bodies, paging."""

import json
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT

ARTICLES_DIR = PROJECT_ROOT / "seed_data" / "articles"
PROBLEM_JSON = "application/problem+json"


@cache
def article(file: str) -> str:
    """An article exactly as stored: the bytes decoded as UTF-8, newlines untouched."""
    return (ARTICLES_DIR / file).read_bytes().decode("utf-8")


def uncited_unknown(record: dict[str, Any]) -> bool:
    """A record no source covers (a border no article names): `unknown`, resting on nothing,
    saying nothing else, and so citing nothing."""
    return (
        record.get("status") == "unknown"
        and record.get("status_basis") == "none"
        and not record.get("summary")
        and record.get("provenance") == []
    )


def provenance_lists(value: Any) -> list[list[dict[str, Any]]]:
    """Every `provenance` list anywhere in a JSON value (records, claims, events, notes)."""
    found: list[list[dict[str, Any]]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "provenance":
                if not (item == [] and uncited_unknown(value)):
                    found.append(item)
            else:
                found.extend(provenance_lists(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(provenance_lists(item))
    return found


def assert_cited(provenance: list[dict[str, Any]]) -> None:
    """Non-empty, and each sentence and quote is found verbatim in its article at its offsets."""
    assert provenance, "a record without provenance"
    for entry in provenance:
        text = article(entry["source_file"])
        start, end = entry["char_start"], entry["char_end"]
        assert text[start:end] == entry["sentence"], entry
        assert start <= entry["quote_start"] < entry["quote_end"] <= end, entry
        assert text[entry["quote_start"] : entry["quote_end"]] == entry["quote"], entry
        assert entry["quote"] in entry["sentence"]
        assert entry["sentence_index"] >= 0


def assert_all_cited(value: Any) -> int:
    """assert_cited on every provenance list in a JSON value; returns how many there were."""
    lists = provenance_lists(value)
    for provenance in lists:
        assert_cited(provenance)
    return len(lists)


def assert_problem(
    response: httpx.Response, status: int, parameter: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with that status, naming `parameter` when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    if parameter is not None:
        assert parameter in [e["parameter"] for e in body["errors"]], body
        assert parameter in body["detail"]
    return body


def get_ok(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk_url(client: TestClient, url: str) -> list[dict[str, Any]]:
    """`walk` for a URL with its query string, as the API gives it in `lists`."""
    path, _, query = url.partition("?")
    return walk(client, path, **dict(parse_qsl(query)))


def walk(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a list endpoint, following `meta.next`; checks the envelope on the way."""
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    total: int | None = None
    for _ in range(1000):
        page = get_ok(client, url, **params, **({"cursor": cursor} if cursor else {}))
        assert set(page) == {"data", "meta"}
        meta = page["meta"]
        total = meta["total"] if total is None else total
        assert meta["total"] == total
        if "limit" in params:
            assert meta["limit"] == params["limit"]
            assert len(page["data"]) <= params["limit"]
        records.extend(page["data"])
        cursor = meta["next"]
        if cursor is None:
            break
        assert page["data"], "a next cursor after an empty page"
    assert cursor is None, "paging never ended"
    assert len(records) == total
    assert len({json.dumps(r, sort_keys=True) for r in records}) == len(records), "duplicates"
    return records


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


def statements(client: TestClient, count_queries: Callable[[], int], url: str) -> int:
    """How many SQL statements one GET of `url` runs, once the reference data it needs
    (country codes, border notes: kept per data version) has been read."""
    assert client.get(url).status_code == 200
    before = count_queries()
    response = client.get(url)
    assert response.status_code == 200, response.text
    return count_queries() - before
