"""An article in: stored byte for byte with its sha256, split as the seed articles are,
searchable, and citable at once."""

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import split_sentences
from app.ingest import ingest_article
from app.payloads import SourceIn
from app.problems import ProblemError
from tests.routes.checks import assert_cited, assert_problem, get_ok
from tests.writes import auth, patch

# A made-up article for the tests, with Windows newlines, a heading and page chrome.
TEXT = (
    "Checkpoint test article\r\n"
    "\r\n"
    "Skip to main content\r\n"
    "Border news\r\n"
    "The test checkpoint closed at noon on Monday, the ministry said. "
    "Trucks were turned back.\r\n"
    "12\r\n"
)


def article(**extra: Any) -> dict[str, Any]:
    return {
        "file": "900_test_article.txt",
        "title": "Checkpoint test article",
        "publisher": "Test Wire",
        "published": "2026-01-12",
        "text": TEXT,
        **extra,
    }


def test_an_article_is_stored_verbatim_with_its_sha256_and_sentences(writer: TestClient) -> None:
    response = writer.post("/v1/sources", headers=auth(), json=article())

    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/sources/900_test_article.txt"
    stored = get_ok(writer, "/v1/sources/900_test_article.txt")
    assert stored == response.json()
    assert stored["text"] == TEXT
    assert stored["sha256"] == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert [(s["sentence_index"], s["kind"], s["text"]) for s in stored["sentences"]] == [
        (s.index, s.kind, s.text) for s in split_sentences(TEXT)
    ]
    assert "The test checkpoint closed at noon on Monday, the ministry said." in [
        s["text"] for s in stored["sentences"]
    ]
    for s in stored["sentences"]:
        assert TEXT[s["char_start"] : s["char_end"]] == s["text"]
    listed = get_ok(writer, "/v1/sources")["data"]
    assert "900_test_article.txt" in [s["file"] for s in listed]


def test_a_stored_article_is_searchable_and_citable(writer: TestClient) -> None:
    writer.post("/v1/sources", headers=auth(), json=article())
    quote = "The test checkpoint closed at noon on Monday"

    hits = get_ok(writer, "/v1/search", q="turned back trucks")["data"]
    closed = patch(
        writer,
        "/v1/crossings/narva",
        {
            "status": "closed",
            "notes": "Closed.",
            "keep": ["citations"],
            "citations": [{"file": "900_test_article.txt", "text": quote}],
        },
    )

    assert ("sentence", "900_test_article.txt#3") in [(h["type"], h["id"]) for h in hits]
    assert closed.status_code == 200, closed.text
    provenance = closed.json()["history"][-1]["provenance"]
    assert [p["quote"] for p in provenance] == [quote]
    assert TEXT[provenance[0]["quote_start"] : provenance[0]["quote_end"]] == quote
    assert provenance[0]["sentence_index"] == 2
    cited = get_ok(writer, "/v1/sources/900_test_article.txt/sentences/2")["cited_by"]
    event_id = closed.json()["history"][-1]["id"]
    assert {(c["record_type"], c["record_id"]) for c in cited} == {
        ("crossing", "narva"),
        ("event", event_id),
    }
    assert_cited(
        [p for p in closed.json()["provenance"] if p["source_file"] != "900_test_article.txt"]
    )


def test_the_same_name_or_the_same_text_twice_is_a_409(writer: TestClient) -> None:
    assert writer.post("/v1/sources", headers=auth(), json=article()).status_code == 201

    same_name = writer.post("/v1/sources", headers=auth(), json=article(text=TEXT + "More.\n"))
    same_text = writer.post("/v1/sources", headers=auth(), json=article(file="901_copy.txt"))
    seed_text = (writer.get("/v1/sources/001_2d175952eb0183b5.txt").json())["text"]
    seed_copy = writer.post(
        "/v1/sources", headers=auth(), json=article(file="902_copy.txt", text=seed_text)
    )

    assert_problem(same_name, 409, "file")
    assert_problem(same_text, 409, "text")
    assert "001_2d175952eb0183b5.txt" in assert_problem(seed_copy, 409, "text")["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"file": "../etc/passwd"}, "file"),
        ({"file": "a/b.txt"}, "file"),
        ({"file": ".hidden"}, "file"),
        ({"published": "last week"}, "published"),
        ({"text": ""}, "text"),
        ({"text": "Skip to main content\n12\n"}, "text"),
        ({"text": "A\x00B"}, "text"),
        ({"sha256": "0" * 64}, "sha256"),
        ({"url": "https://example.org/article"}, "url"),
    ],
)
def test_a_bad_article_is_a_422_naming_the_field(
    writer: TestClient, change: dict[str, Any], field: str
) -> None:
    response = writer.post("/v1/sources", headers=auth(), json=article(**change))
    assert_problem(response, 422, field)
    assert get_ok(writer, "/v1/sources")["meta"]["total"] == 4


def test_ingest_writes_in_the_callers_transaction(seeded_fresh_engine: Any) -> None:
    with Session(seeded_fresh_engine) as session:
        source = ingest_article(session, SourceIn.model_validate(article()))
        assert source.sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
        session.rollback()
    with Session(seeded_fresh_engine) as session:
        assert session.get(type(source), "900_test_article.txt") is None
        with pytest.raises(ProblemError) as refused:
            ingest_article(
                session, SourceIn.model_validate(article(file="000_82da986fc3907c30.txt"))
            )
    assert refused.value.status == 409


def test_an_article_posted_as_one_line_is_split_into_sentences(writer: TestClient) -> None:
    """A wire text pasted without its line breaks: its first sentence is the title and each
    later one a sentence of its own, citable on its own."""
    one_line = (
        "Border crossing closes overnight. The test checkpoint closed at noon on Monday, the "
        "ministry said. Trucks were turned back at the gate, officials added."
    )
    response = writer.post("/v1/sources", headers=auth(), json=article(text=one_line))

    assert response.status_code == 201, response.text
    sentences = [(s["kind"], s["text"]) for s in response.json()["sentences"]]
    assert sentences == [
        ("title", "Border crossing closes overnight."),
        ("body", "The test checkpoint closed at noon on Monday, the ministry said."),
        ("body", "Trucks were turned back at the gate, officials added."),
    ]
