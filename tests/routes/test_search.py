"""/v1/search runs on FTS5 under SQLite and on a tsvector under PostgreSQL: the `client` fixture
runs every test here on both."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import assert_problem, get_ok, statements, walk

# Facts are served with the record they are about; events have no facts list, so a fact about an
# event is found through that event.
SERVED_WITH_THEIR_EVENT = {"kirkenes-meeting-date": "no-ru-kirkenes-border-talks-2025"}


def hits(client: TestClient, q: str) -> list[dict[str, Any]]:
    return walk(client, "/v1/search", q=q, limit=500)


def keys(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(h["type"], h["id"]) for h in found}


def test_finds_sentences_and_records(client: TestClient) -> None:
    found = hits(client, "fence")
    types = {h["type"] for h in found}
    assert {"sentence", "fortification", "event"} <= types
    assert ("fortification", "no-border-fence") in keys(found)
    for hit in found:
        assert hit["title"]
        assert hit["url"].startswith("/v1/")
    sentences = [h for h in found if h["type"] == "sentence"]
    assert sentences
    for sentence in sentences:
        assert "fence" in sentence["text"].lower(), "a sentence matched on its article's title"


def test_finds_a_crossing_by_its_name_and_aliases(client: TestClient) -> None:
    assert ("crossing", "storskog") in keys(hits(client, "Storskog"))
    assert ("crossing", "storskog") in keys(hits(client, "Sturskug"))
    assert ("crossing", "grebneva") in keys(hits(client, "Grebņeva"))


@pytest.mark.parametrize(
    ("q", "crossing"),
    [
        ("Grebneva", "grebneva"),
        ("grebņeva", "grebneva"),
        ("VIENTUĻI", "vientuli"),
        ("Panemune", "panemune"),
    ],
)
def test_diacritics_and_case_do_not_matter(client: TestClient, q: str, crossing: str) -> None:
    assert ("crossing", crossing) in keys(hits(client, q))


def test_a_sentence_hit_is_the_article_sentence(client: TestClient) -> None:
    found = [h for h in hits(client, "Kirkenes") if h["type"] == "sentence"]
    assert {h["id"].partition("#")[0] for h in found} >= {
        "002_6d3e1f3cc5a138b6.txt",
        "003_377aa8b1fa1c8230.txt",
    }
    for hit in found[:5]:
        sentence = get_ok(client, hit["url"])
        assert sentence["text"] == hit["text"]


def test_every_word_must_match(client: TestClient) -> None:
    both = keys(hits(client, "Storskog delegation"))
    assert both
    assert both <= keys(hits(client, "Storskog"))
    assert both <= keys(hits(client, "delegation"))
    assert keys(hits(client, "Storskog Helsinki")) == set()


def test_no_match_is_an_empty_page(client: TestClient) -> None:
    body = get_ok(client, "/v1/search", q="zeppelin")
    assert body == {"data": [], "meta": {"total": 0, "limit": 20, "next": None}}


def test_punctuation_in_q_is_not_query_syntax(client: TestClient) -> None:
    for q in ['"fence', "fence*", "fence OR", "NOT fence", "fence:(x)", "a & b | !c"]:
        response = client.get("/v1/search", params={"q": q})
        assert response.status_code == 200, (q, response.text)


@pytest.mark.parametrize("limit", [1, 7, 20])
def test_paging_walks_every_hit_once(client: TestClient, limit: int) -> None:
    paged = walk(client, "/v1/search", q="fence", limit=limit)
    assert keys(paged) == keys(hits(client, "fence"))
    assert len(paged) > 20


@pytest.mark.parametrize("q", ["fence", "Kirkenes", "Crimea", "Latvia", "length", "closed"])
def test_every_hit_url_serves_the_hit(client: TestClient, q: str) -> None:
    for hit in hits(client, q):
        url, _fragment = urldefrag(hit["url"])
        response = client.get(url)
        assert response.status_code == 200, (hit, response.text)
        if hit["type"] == "sentence":
            assert response.json()["text"] == hit["text"]
        else:
            served = SERVED_WITH_THEIR_EVENT.get(hit["id"], hit["id"])
            assert f'"{served}"' in response.text, hit


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=%20-%20", "q"),
        ("q=" + "x" * 201, "q"),
        ("q=fence&limit=0", "limit"),
        ("q=fence&limit=501", "limit"),
        ("q=fence&cursor=nope!", "cursor"),
        # Well-formed cursors holding offsets this endpoint never issues.
    ],
)
def test_bad_input_is_a_422_problem_naming_the_parameter(
    client: TestClient, query: str, parameter: str
) -> None:
    assert_problem(client.get(f"/v1/search?{query}"), 422, parameter)


def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, count_queries: Callable[[], int]
) -> None:
    one = statements(uncached_client, count_queries, "/v1/search?q=border&limit=1")
    many = statements(uncached_client, count_queries, "/v1/search?q=border&limit=100")
    assert one == many


@pytest.mark.parametrize(("q", "first"), [("narva", "narva"), ("storskog", "storskog")])
def test_a_record_ranks_above_the_sentences_that_mention_it(
    client: TestClient, q: str, first: str
) -> None:
    hits = get_ok(client, "/v1/search", q=q, limit=100)["data"]
    assert (hits[0]["type"], hits[0]["id"]) == ("crossing", first)
    kinds = [hit["type"] == "sentence" for hit in hits]
    assert kinds == sorted(kinds), "every record before every sentence"
    assert any(kinds), "the example has sentence hits too"


def test_a_sentence_hit_is_titled_by_its_own_words_and_names_its_article(
    client: TestClient,
) -> None:
    hits = get_ok(client, "/v1/search", q="queues narva")["data"]
    sentence = next(hit for hit in hits if hit["type"] == "sentence")
    assert sentence["title"] == sentence["text"]
    assert sentence["title"].startswith("Queues began to appear in Narva")
    assert sentence["article_file"] == "001_2d175952eb0183b5.txt"
    assert sentence["article_title"].startswith("Foreign experience")
    long_hit = next(
        hit
        for hit in get_ok(client, "/v1/search", q="border", limit=200)["data"]
        if hit["type"] == "sentence" and len(hit["text"]) > 120
    )
    assert len(long_hit["title"]) <= 120 and long_hit["title"].endswith("…")
    assert long_hit["text"].startswith(long_hit["title"][:-1])
    records = [hit for hit in hits if hit["type"] != "sentence"]
    assert all(hit["article_file"] is None for hit in records)
