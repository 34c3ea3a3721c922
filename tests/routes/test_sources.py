import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.routes.checks import ARTICLES_DIR, article, assert_problem, get_ok, statements, walk

FILES = sorted(p.name for p in ARTICLES_DIR.glob("*.txt"))
STORSKOG_SENTENCE = "/v1/sources/001_2d175952eb0183b5.txt/sentences/18"


def test_every_article_is_listed_with_its_metadata(client: TestClient) -> None:
    body = get_ok(client, "/v1/sources")
    assert [s["file"] for s in body["data"]] == FILES
    assert body["meta"]["total"] == 4
    for source in body["data"]:
        expected = hashlib.sha256((ARTICLES_DIR / source["file"]).read_bytes()).hexdigest()
        assert source["sha256"] == expected
        assert source["title"]
        assert source["sentence_count"] > 0
        assert "text" not in source
        # As many as the article itself serves.
        article = get_ok(client, f"/v1/sources/{source['file']}")
        assert source["sentence_count"] == len(article["sentences"])
    by_file = {s["file"]: s for s in body["data"]}
    assert by_file["002_6d3e1f3cc5a138b6.txt"]["publisher"] == "High North News"
    assert by_file["001_2d175952eb0183b5.txt"]["published"] == "2026-01"


@pytest.mark.parametrize("file", FILES)
def test_an_article_is_served_exactly_with_its_sentences_at_their_offsets(
    client: TestClient, file: str
) -> None:
    source = get_ok(client, f"/v1/sources/{file}")
    assert source["text"] == article(file)
    sentences = source["sentences"]
    assert source["sentence_count"] == len(sentences)
    assert [s["sentence_index"] for s in sentences] == list(range(len(sentences)))
    previous_end = 0
    for sentence in sentences:
        assert sentence["source_file"] == file
        assert source["text"][sentence["char_start"] : sentence["char_end"]] == sentence["text"]
        assert sentence["char_start"] >= previous_end
        previous_end = sentence["char_end"]


def test_a_sentence_lists_every_record_citing_it(client: TestClient) -> None:
    sentence = get_ok(client, STORSKOG_SENTENCE)
    assert sentence["text"].startswith("The only functioning border crossing")
    assert sentence["kind"] == "body"
    cited_by = {(c["record_type"], c["record_id"]) for c in sentence["cited_by"]}
    assert {("crossing", "storskog"), ("border", "NO-RU")} <= cited_by
    for citation in sentence["cited_by"]:
        assert citation["quote"] in sentence["text"]


def test_a_sentence_is_the_same_alone_and_in_its_article(client: TestClient) -> None:
    source = get_ok(client, "/v1/sources/001_2d175952eb0183b5.txt")
    assert get_ok(client, STORSKOG_SENTENCE) == source["sentences"][18]


def test_an_uncited_sentence_has_an_empty_cited_by(client: TestClient) -> None:
    title = get_ok(client, "/v1/sources/001_2d175952eb0183b5.txt/sentences/0")
    assert title["kind"] == "title"
    assert title["cited_by"] == []


@pytest.mark.parametrize(
    ("path", "record_type"),
    [
        ("/v1/crossings", "crossing"),
        ("/v1/restrictions", "restriction"),
        ("/v1/fortifications", "fortification"),
        ("/v1/events", "event"),
    ],
)
def test_every_citation_of_a_record_is_listed_on_its_sentence(
    client: TestClient, path: str, record_type: str
) -> None:
    cited_by: dict[tuple[str, int], set[tuple[str, str]]] = {}
    for file in FILES:
        for sentence in get_ok(client, f"/v1/sources/{file}")["sentences"]:
            cited_by[(file, sentence["sentence_index"])] = {
                (c["record_type"], c["record_id"]) for c in sentence["cited_by"]
            }
    for record in walk(client, path, limit=500):
        for entry in record["provenance"]:
            key = (entry["source_file"], entry["sentence_index"])
            assert (record_type, record["id"]) in cited_by[key]


def test_unknown_article_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/sources/999_missing.txt"), 404)
    assert_problem(client.get("/v1/sources/999_missing.txt/sentences/0"), 404)
    assert_problem(client.get("/v1/sources/..%2Frecords.yaml"), 404)


def test_sentence_past_the_end_is_a_404_problem(client: TestClient) -> None:
    count = get_ok(client, "/v1/sources/001_2d175952eb0183b5.txt")["sentence_count"]
    get_ok(client, f"/v1/sources/001_2d175952eb0183b5.txt/sentences/{count - 1}")
    assert_problem(client.get(f"/v1/sources/001_2d175952eb0183b5.txt/sentences/{count}"), 404)


@pytest.mark.parametrize("index", ["-1", "first", "1.5", "99999999999"])
def test_bad_sentence_index_is_a_422_problem(client: TestClient, index: str) -> None:
    response = client.get(f"/v1/sources/001_2d175952eb0183b5.txt/sentences/{index}")
    assert_problem(response, 422, "index")


def test_statement_count_does_not_grow_with_the_article(
    uncached_client: TestClient, count_queries: Callable[[], int]
) -> None:
    assert statements(uncached_client, count_queries, "/v1/sources") == 1
    short = statements(uncached_client, count_queries, "/v1/sources/003_377aa8b1fa1c8230.txt")
    long = statements(uncached_client, count_queries, "/v1/sources/001_2d175952eb0183b5.txt")
    assert short == long
