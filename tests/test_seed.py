import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlmodel import SQLModel

from app.articles import read_article, split_sentences
from app.config import PROJECT_ROOT
from app.seed.dataset import RecordsError, load_dataset
from app.seed.sync import seed
from tests.records_file import Records, edit_records, read_records, record
from tests.writes import NARVA_QUEUES, auth, cite, close_narva, new_crossing, patch

SEED_DIR = PROJECT_ROOT / "seed_data"


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def stored_sentences(engine: Engine, source_file: str) -> list[tuple[int, int, int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT sentence_index, char_start, char_end, kind, text FROM sentence"
                " WHERE source_file = :file ORDER BY sentence_index"
            ),
            {"file": source_file},
        )
        return [tuple(row) for row in rows]


def split_from(seed_dir: Path) -> dict[str, list[tuple[int, int, int, str, str]]]:
    """Each article's sentences as split_sentences gives them, with its chrome list."""
    sources = read_records(seed_dir)["sources"]
    return {
        name: [
            (s.index, s.char_start, s.char_end, s.kind, s.text)
            for s in split_sentences(
                read_article(seed_dir / "articles" / name), meta.get("chrome", [])
            )
        ]
        for name, meta in sources.items()
    }


def test_seeding_twice_changes_nothing_the_second_time(fresh_engine: Engine) -> None:
    first = seed(fresh_engine, SEED_DIR)
    after_first = snapshot(fresh_engine)

    second = seed(fresh_engine, SEED_DIR)

    assert first.total > 0
    assert second.total == 0
    assert set(second.changes.values()) == {(0, 0, 0)}
    assert snapshot(fresh_engine) == after_first


def test_reseeding_an_edited_records_file_changes_exactly_the_edits(
    fresh_engine: Engine, seed_copy: Path
) -> None:
    seed(fresh_engine, seed_copy)
    before = snapshot(fresh_engine)
    removed = record(
        read_records(seed_copy), "restrictions", "baltic-pl-russian-citizens-restrictions"
    )

    def edit(records: Records) -> None:
        record(records, "crossings", "narva")["status"] = "closed"
        records["restrictions"].remove(removed)
        aliases = record(records, "crossings", "storskog")["aliases"]
        aliases[aliases.index("Sturskug")] = "Storskug"

    edit_records(seed_copy, edit)

    report = seed(fresh_engine, seed_copy)

    assert {table: c for table, c in report.changes.items() if c != (0, 0, 0)} == {
        "crossing": (0, 1, 0),
        "crossing_alias": (1, 0, 1),
        "restriction": (0, 0, 1),
        "restriction_country": (0, 0, len(removed["countries"])),
        "citation": (0, 0, len(removed["quotes"])),
        "search_document": (0, 1, 1),
    }
    after = snapshot(fresh_engine)
    untouched = {table for table, c in report.changes.items() if c == (0, 0, 0)}
    assert {t: after[t] for t in untouched} == {t: before[t] for t in untouched}
    with fresh_engine.connect() as conn:

        def scalar(sql: str) -> Any:
            return conn.execute(text(sql), {"id": removed["id"]}).scalar_one()

        assert scalar("SELECT status FROM crossing WHERE id = 'narva'") == "closed"
        assert scalar("SELECT count(*) FROM restriction WHERE id = :id") == 0
        assert scalar("SELECT count(*) FROM restriction_country WHERE restriction_id = :id") == 0
        assert scalar("SELECT count(*) FROM citation WHERE record_id = :id") == 0
        assert scalar("SELECT count(*) FROM search_document WHERE doc_id = :id") == 0
        aliases = conn.execute(
            text("SELECT alias, alias_key FROM crossing_alias WHERE crossing_id = 'storskog'")
        ).all()
    assert ("Storskug", "storskug") in aliases
    assert "Sturskug" not in {alias for alias, _key in aliases}
    assert seed(fresh_engine, seed_copy).total == 0


def test_store_counts_per_country_match_the_records_file(seeded_engine: Engine) -> None:
    records = read_records(SEED_DIR)
    expected: Counter[tuple[str, str]] = Counter()
    for border in records["borders"]:
        expected["border", border["country"]] += 1
    for crossing in records["crossings"]:
        expected["crossing", crossing["country"]] += 1
    for section, kind in [
        ("restrictions", "restriction"),
        ("fortifications", "fortification"),
        ("events", "event"),
    ]:
        for rec in records[section]:
            for code in set(rec.get("countries", [])):
                expected[kind, code] += 1

    stored: Counter[tuple[str, str]] = Counter()
    with seeded_engine.connect() as conn:
        for kind, table in [
            ("border", "border"),
            ("crossing", "crossing"),
            ("restriction", "restriction_country"),
            ("fortification", "fortification_country"),
            ("event", "event_country"),
        ]:
            rows = conn.execute(text(f"SELECT country, count(*) FROM {table} GROUP BY country"))
            for country, count in rows:
                stored[kind, country] = count

    assert stored == expected


def test_stored_sentences_are_the_split_sentences(seeded_engine: Engine) -> None:
    for source_file, sentences in split_from(SEED_DIR).items():
        assert stored_sentences(seeded_engine, source_file) == sentences


def add_chrome_to_003(records: Records) -> None:
    # Two headings become chrome: every later sentence moves up two, the last two go.
    records["sources"]["003_377aa8b1fa1c8230.txt"]["chrome"] = [
        "Annual Meeting Reinforces Communication Channel",
        "Focus on Practical Border Management",
    ]


def drop_chrome_of_002(records: Records) -> None:
    # The Norwegian caption becomes a sentence: every later sentence moves down one.
    del records["sources"]["002_6d3e1f3cc5a138b6.txt"]["chrome"]


@pytest.mark.slow
@pytest.mark.parametrize("edit", [add_chrome_to_003, drop_chrome_of_002])
def test_reseeding_after_a_chrome_change_resplits_and_stays_idempotent(
    fresh_engine: Engine, seed_copy: Path, edit: Callable[[Records], None]
) -> None:
    seed(fresh_engine, seed_copy)
    edit_records(seed_copy, edit)

    report = seed(fresh_engine, seed_copy)

    assert report.changes["sentence"] != (0, 0, 0)
    assert report.changes["citation"] != (0, 0, 0)
    for source_file, sentences in split_from(seed_copy).items():
        assert stored_sentences(fresh_engine, source_file) == sentences
    with fresh_engine.connect() as conn:
        citations = conn.execute(
            text(
                "SELECT record_type, record_id, position, source_file, sentence_index, quote,"
                " quote_start, quote_end FROM citation"
            )
        ).all()
    resolved = load_dataset(seed_copy).citations
    assert sorted(tuple(c) for c in citations) == sorted(astuple(q) for q in resolved)
    assert seed(fresh_engine, seed_copy).total == 0


# --- the seed and the curators --------------------------------------------------------------


def crossing_row(engine: Engine, crossing_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, notes FROM crossing WHERE id = :id"), {"id": crossing_id}
        ).first()
    return dict(row._mapping) if row else None


def test_seeding_leaves_a_curated_change_alone_and_says_so(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    closed = patch(writer, "/v1/crossings/narva", close_narva())
    assert closed.status_code == 200
    narva = writer.get("/v1/crossings/narva").json()

    def edit(records: Records) -> None:
        record(records, "crossings", "narva")["notes"] = "Edited in the seed file."
        record(records, "crossings", "storskog")["notes"] = "Edited in the seed file."

    edit_records(seed_copy, edit)

    report = seed(seeded_fresh_engine, seed_copy)

    assert report.skipped == [("crossing", "narva")]
    assert report.changes["crossing"] == (0, 1, 0)  # storskog, still the seed's
    assert writer.get("/v1/crossings/narva").json() == narva
    assert crossing_row(seeded_fresh_engine, "storskog") == {
        "status": "restricted",
        "notes": "Edited in the seed file.",
    }
    again = seed(seeded_fresh_engine, seed_copy)
    assert again.total == 0
    assert again.skipped == [("crossing", "narva")]


def test_seeding_keeps_what_the_curators_added(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    source = {
        "file": "900_test_article.txt",
        "title": "Test",
        "text": "A test article\n\nThe test checkpoint closed on Monday, the ministry said.\n",
    }
    assert writer.post("/v1/sources", headers=auth(), json=source).status_code == 201
    assert writer.post("/v1/crossings", headers=auth(), json=new_crossing()).status_code == 201
    vaalimaa = writer.get("/v1/crossings/vaalimaa").json()

    report = seed(seeded_fresh_engine, SEED_DIR)

    assert report.total == 0
    assert report.skipped == []
    assert writer.get("/v1/crossings/vaalimaa").json() == vaalimaa
    assert writer.get("/v1/sources/900_test_article.txt").status_code == 200
    assert writer.get("/v1/search?q=ministry+monday").json()["meta"]["total"] >= 1


def test_a_record_the_seed_adds_under_a_curated_id_is_skipped(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    writer.post("/v1/crossings", headers=auth(), json=new_crossing())

    def add(records: Records) -> None:
        narva = record(records, "crossings", "narva")
        records["crossings"].append({**narva, "id": "vaalimaa", "name": "Vaalimaa (seed)"})

    edit_records(seed_copy, add)

    report = seed(seeded_fresh_engine, seed_copy)

    assert report.skipped == [("crossing", "vaalimaa")]
    assert writer.get("/v1/crossings/vaalimaa").json()["name"] == "Vaalimaa"


def test_the_seed_still_manages_what_no_curator_changed(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    patch(writer, "/v1/crossings/narva", close_narva())

    def remove_luhamaa(records: Records) -> None:
        records["crossings"].remove(record(records, "crossings", "luhamaa"))

    edit_records(seed_copy, remove_luhamaa)

    report = seed(seeded_fresh_engine, seed_copy)

    assert report.changes["crossing"] == (0, 0, 1)
    assert crossing_row(seeded_fresh_engine, "luhamaa") is None
    assert crossing_row(seeded_fresh_engine, "narva") == {
        "status": "closed",
        "notes": writer.get("/v1/crossings/narva").json()["notes"],
    }


def test_a_curated_records_history_is_the_curators_too(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    reopened = patch(
        writer,
        "/v1/crossings/vientuli",
        {
            "status": "open",
            "effective": "2026-01",
            "notes": "Open again.",
            "citations": cite(NARVA_QUEUES),
        },
    )
    assert reopened.status_code == 200, reopened.text
    history = writer.get("/v1/crossings/vientuli").json()["history"]

    def edit(records: Records) -> None:
        record(records, "events", "lv-vientuli-closed-2023")["summary"] = "Edited."

    edit_records(seed_copy, edit)

    report = seed(seeded_fresh_engine, seed_copy)

    assert report.skipped == [("crossing", "vientuli")]
    assert writer.get("/v1/crossings/vientuli").json()["history"] == history


def test_the_seed_is_refused_when_it_would_break_a_curated_citation(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    patch(writer, "/v1/crossings/narva", close_narva())
    before = snapshot(seeded_fresh_engine)

    def add_chrome_to_001(records: Records) -> None:
        # An early heading becomes chrome: every later sentence of 001 moves up one.
        records["sources"]["001_2d175952eb0183b5.txt"]["chrome"] = [
            "Norway will not build a fence on the border with the Russian Federation"
        ]

    edit_records(seed_copy, add_chrome_to_001)

    with pytest.raises(RecordsError) as refused:
        seed(seeded_fresh_engine, seed_copy)

    assert any("curated crossing 'narva'" in p for p in refused.value.problems)
    assert snapshot(seeded_fresh_engine) == before


def test_a_seed_article_with_a_curated_sources_text_is_refused(
    writer: TestClient, seeded_fresh_engine: Engine, seed_copy: Path
) -> None:
    text_ = "A test article\n\nThe test checkpoint closed on Monday, the ministry said.\n"
    source = {"file": "900_test_article.txt", "title": "Test", "text": text_}
    assert writer.post("/v1/sources", headers=auth(), json=source).status_code == 201
    (seed_copy / "articles" / "004_copy.txt").write_text(text_, "utf-8")
    digest = hashlib.sha256(text_.encode()).hexdigest()

    def add(records: Records) -> None:
        records["sources"]["004_copy.txt"] = {"title": "Copy", "sha256": digest}

    edit_records(seed_copy, add)

    with pytest.raises(RecordsError, match="stored as curated source 900_test_article.txt"):
        seed(seeded_fresh_engine, seed_copy)
