"""Every list answers CSV as well as JSON: one row per record and citation, the whole list
streamed (or one page when asked), and never mixed up with the JSON by a cache."""

import csv
import io
import re
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.config import Settings
from app.main import create_app
from tests.conftest import client_for
from tests.routes.checks import assert_problem, uncited_unknown, walk
from tests.writes import auth, close_narva, patch

CSV_TYPE = "text/csv; charset=utf-8"
PROVENANCE = ["citation", "source_file", "sentence_index", "sentence", "quote"]

# Each list, with filters a user would give, and the field that names a record.
CITED_LISTS = [
    ("/v1/crossings", {}),
    ("/v1/crossings", {"country": "LV", "as_of": "2023-11"}),
    ("/v1/crossings", {"traffic": "truck"}),
    ("/v1/restrictions", {}),
    ("/v1/restrictions", {"as_of": "2022", "status": "in_force"}),
    ("/v1/fortifications", {"status": "rejected"}),
    ("/v1/borders", {}),
    ("/v1/events", {"country": "LV", "from": "2023"}),
]
UNCITED_LISTS = [
    ("/v1/countries", {}, "code"),
    ("/v1/sources", {}, "file"),
    ("/v1/search", {"q": "border"}, "id"),
]
ALL_LISTS = (
    [(url, params) for url, params in CITED_LISTS]
    + [(url, params) for url, params, _key in UNCITED_LISTS]
    + [("/v1/conflicts", {})]
)


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_TYPE
    return list(csv.DictReader(io.StringIO(response.text)))


def header(response: Any) -> list[str]:
    return next(csv.reader(io.StringIO(response.text)))


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


@pytest.mark.parametrize(("url", "params"), ALL_LISTS)
def test_accept_text_csv_and_format_csv_give_the_same_csv(
    client: TestClient, url: str, params: dict[str, str]
) -> None:
    by_accept = client.get(url, params=params, headers={"Accept": "text/csv"})
    by_format = client.get(url, params={**params, "format": "csv"})

    assert rows(by_accept) == rows(by_format)
    assert by_accept.headers["content-disposition"].startswith('attachment; filename="')
    assert by_accept.headers["content-disposition"].endswith('.csv"')
    assert "Accept" in by_accept.headers["vary"]


@pytest.mark.parametrize(("url", "params"), CITED_LISTS)
def test_a_cited_list_has_a_row_for_each_record_and_citation(
    client: TestClient, url: str, params: dict[str, str]
) -> None:
    records = walk(client, url, **params)
    found = rows(client.get(url, params={**params, "format": "csv"}))

    assert records, "a list with nothing to compare"
    assert [(r["id"], r["citation"], r["source_file"], r["sentence_index"]) for r in found] == [
        (record["id"], str(n), cited["source_file"], str(cited["sentence_index"]))
        if cited
        else (record["id"], "", "", "")
        for record in records
        for n, cited in enumerate(record["provenance"] or [None], start=1)
    ]
    by_id = {record["id"]: record for record in records}
    for row in found:
        if not row["citation"]:
            assert uncited_unknown(by_id[row["id"]]), row
            continue
        record = by_id[row["id"]]
        cited = record["provenance"][int(row["citation"]) - 1]
        assert (row["sentence"], row["quote"]) == (cited["sentence"], cited["quote"])
        for field in ("status", "summary", "country", "countries", "kind", "date"):
            if field in record:
                assert row[field] == cell(record[field]), (row["id"], field)


@pytest.mark.parametrize(("url", "params", "key"), UNCITED_LISTS)
def test_an_uncited_list_has_a_row_for_each_record(
    client: TestClient, url: str, params: dict[str, str], key: str
) -> None:
    response = client.get(url, params={**params, "format": "csv"})

    assert [r[key] for r in rows(response)] == [r[key] for r in walk(client, url, **params)]
    assert not set(PROVENANCE) & set(header(response))


def test_every_sentence_in_a_csv_is_the_one_its_article_has_at_that_index(
    client: TestClient,
) -> None:
    found = rows(client.get("/v1/crossings", params={"format": "csv"}))
    articles: dict[str, dict[int, str]] = {}

    for row in found:
        if row["source_file"] not in articles:
            detail = client.get(f"/v1/sources/{row['source_file']}").json()
            articles[row["source_file"]] = {
                s["sentence_index"]: s["text"] for s in detail["sentences"]
            }
        assert articles[row["source_file"]][int(row["sentence_index"])] == row["sentence"]
        assert row["quote"] in row["sentence"]
    assert len({r["id"] for r in found}) < len(found), "some crossing cites more than one"


def test_crossings_csv_joins_lists_and_spells_booleans_as_json_does(client: TestClient) -> None:
    (storskog,) = walk(client, "/v1/crossings", q="Storskog")
    found = rows(client.get("/v1/crossings", params={"q": "Storskog", "format": "csv"}))

    assert header(client.get("/v1/crossings?format=csv&q=Storskog"))[:2] == ["id", "name"]
    assert header(client.get("/v1/crossings?format=csv&q=Storskog"))[-5:] == PROVENANCE
    assert {r["aliases"] for r in found} == {"; ".join(storskog["aliases"])}
    assert {r["traffic"] for r in found} == {"; ".join(storskog["traffic"])}
    assert {r["status_since_inferred"] for r in found} <= {"true", "false"}
    assert len(found) == len(storskog["provenance"])


def test_conflicts_csv_has_a_row_for_each_claim_and_citation(client: TestClient) -> None:
    facts = walk(client, "/v1/conflicts")
    found = rows(client.get("/v1/conflicts", params={"format": "csv"}))

    assert [(r["id"], r["claim_value"], r["source_file"], r["sentence_index"]) for r in found] == [
        (fact["id"], claim["value"], cited["source_file"], str(cited["sentence_index"]))
        for fact in facts
        for claim in fact["claims"]
        for cited in claim["provenance"]
    ]
    length = [r for r in found if r["id"] == "no-ru-length"]
    assert {r["preferred_value"] for r in length} == {"195.7"}
    assert {r["claim_value"] for r in length if r["claim_preferred"] == "true"} == {"195.7"}


def test_the_whole_list_is_streamed_and_its_pages_follow_link_headers(
    client: TestClient,
) -> None:
    whole = client.get("/v1/crossings", params={"format": "csv"})
    pages: list[dict[str, str]] = []
    url: str | None = "/v1/crossings?format=csv&limit=3"
    seen = 0
    while url is not None and seen < 100:
        page = client.get(url)
        pages += rows(page)
        assert page.headers["etag"]
        assert "max-age" in page.headers["cache-control"]
        link = page.headers.get("link")
        url = (
            cast(re.Match[str], re.fullmatch(r'<([^>]+)>; rel="next"', link)).group(1)
            if link
            else None
        )
        seen += 1

    assert seen == -(-len(walk(client, "/v1/crossings")) // 3)
    assert pages == rows(whole)
    assert "etag" not in whole.headers
    assert "content-length" not in whole.headers
    assert whole.headers["cache-control"] == "no-store"
    for name in ("x-content-type-options", "content-security-policy", "referrer-policy"):
        assert name in whole.headers


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("text/csv", "csv"),
        ("text/csv, */*;q=0.1", "csv"),
        ("text/*", "csv"),
        ("*/*", "json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "json"),
        ("application/json", "json"),
        ("text/csv;q=0.5, application/json", "json"),
        ("text/csv, application/json", "json"),
        ("image/png", "json"),
        ("not a media type", "json"),
    ],
)
def test_accept_chooses_csv_only_when_it_ranks_csv_above_json(
    client: TestClient, accept: str, answer: str
) -> None:
    response = client.get("/v1/borders", headers={"Accept": accept})

    assert response.status_code == 200
    expected = CSV_TYPE if answer == "csv" else "application/json; charset=utf-8"
    assert response.headers["content-type"] == expected


def test_format_json_wins_over_accept(client: TestClient) -> None:
    response = client.get("/v1/crossings?format=json", headers={"Accept": "text/csv"})

    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]


@pytest.mark.parametrize("url", ["/v1/crossings", "/v1/events", "/v1/countries", "/v1/search?q=x"])
def test_an_unknown_format_is_a_422_naming_it(client: TestClient, url: str) -> None:
    separator = "&" if "?" in url else "?"
    assert_problem(client.get(f"{url}{separator}format=xlsx"), 422, "format")


@pytest.mark.parametrize("url", ["/v1/crossings?country=EE", "/v1/crossings?limit=2"])
def test_the_cache_never_serves_csv_for_json_or_json_for_csv(seeded_engine: Any, url: str) -> None:
    client = client_for(seeded_engine)
    wants_csv = {"Accept": "text/csv"}

    json_first = client.get(url)
    csv_then = client.get(url, headers=wants_csv)
    json_again = client.get(url)
    csv_again = client.get(url, headers=wants_csv)

    assert json_first.headers["content-type"].startswith("application/json")
    assert json_again.content == json_first.content
    assert csv_then.headers["content-type"] == csv_again.headers["content-type"] == CSV_TYPE
    assert csv_again.content == csv_then.content
    assert json_first.headers["vary"] == csv_then.headers["vary"]
    assert "Accept" in json_first.headers["vary"]


def test_the_csv_shows_a_write_at_once(writer: TestClient) -> None:
    before = rows(writer.get("/v1/crossings?format=csv&q=narva"))
    patched = patch(writer, "/v1/crossings/narva", close_narva())
    after = rows(writer.get("/v1/crossings?format=csv&q=narva"))

    assert patched.status_code == 200, patched.text
    assert {r["status"] for r in before} == {"open"}
    assert {r["status"] for r in after} == {"closed"}


def test_the_audit_log_as_csv_is_for_curators_and_never_cached(writer: TestClient) -> None:
    patch(writer, "/v1/crossings/narva", close_narva())

    refused = writer.get("/v1/audit?format=csv")
    whole = writer.get("/v1/audit?format=csv", headers=auth())
    page = writer.get("/v1/audit?format=csv&limit=1", headers=auth())

    assert refused.status_code == 401
    (entry,) = rows(whole)
    assert (entry["method"], entry["record_id"], entry["curator"]) == ("PATCH", "narva", "alice")
    assert '"status":"closed"' in entry["after"]
    assert rows(page) == [entry]
    for response in (whole, page):
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers


def test_a_database_that_is_down_is_a_503_before_anything_is_streamed(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    engine = create_engine(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    client = TestClient(create_app(Settings(database_url=str(engine.url)), engine=engine))

    for url in ("/v1/crossings?format=csv", "/v1/events?format=csv", "/v1/export.ndjson"):
        body = assert_problem(client.get(url), 503)
        assert body["title"] == "Database unavailable"


def test_a_page_on_another_site_may_read_the_next_link_and_the_file_name(
    client: TestClient,
) -> None:
    response = client.get(
        "/v1/crossings?format=csv&limit=2", headers={"Origin": "https://map.example.org"}
    )

    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"link", "content-disposition"} <= exposed
    assert response.headers["link"]
