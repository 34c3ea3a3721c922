"""Derived data: the stored documents and the tallies behind list totals follow the records."""

from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from app.documents import refresh_tallies
from app.models import (
    Crossing,
    CrossingTally,
    CrossingTraffic,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
)
from app.seed import seed
from tests.conftest import SEED_DIR
from tests.records_file import Records, edit_records, record


def crossing_tallies(engine: Engine) -> dict[tuple[str, ...], int]:
    with Session(engine) as session:
        return {
            (t.country, t.neighbour, t.status, t.mode): t.n
            for t in session.exec(select(CrossingTally)).scalars()
            if t.n
        }


def counted_crossings(engine: Engine) -> Counter[tuple[str, ...]]:
    """The tallies counted the slow way, one crossing at a time."""
    counts: Counter[tuple[str, ...]] = Counter()
    with Session(engine) as session:
        modes: dict[str, list[str]] = {}
        for t in session.exec(select(CrossingTraffic)).scalars():
            modes.setdefault(t.crossing_id, []).append(t.mode)
        for c in session.exec(select(Crossing)).scalars():
            for mode in ["", *modes.get(c.id, [])]:
                counts[(c.country, c.neighbour, c.status, mode)] += 1
    return counts


def counted_restrictions(engine: Engine) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    with Session(engine) as session:
        countries: dict[str, list[str]] = {}
        for link in session.exec(select(RestrictionCountry)).scalars():
            countries.setdefault(link.restriction_id, []).append(link.country)
        for r in session.exec(select(Restriction)).scalars():
            for code in ["", *countries.get(r.id, [])]:
                counts[(code, r.kind, r.status)] += 1
    return counts


def restriction_tallies(engine: Engine) -> dict[tuple[str, ...], int]:
    with Session(engine) as session:
        return {
            (t.country, t.kind, t.status): t.n
            for t in session.exec(select(RestrictionTally)).scalars()
            if t.n
        }


def test_the_seed_leaves_tallies_that_count_every_record(fresh_engine: Engine) -> None:
    seed(fresh_engine, SEED_DIR)
    assert crossing_tallies(fresh_engine) == counted_crossings(fresh_engine)
    assert restriction_tallies(fresh_engine) == counted_restrictions(fresh_engine)
    assert crossing_tallies(fresh_engine)[("LV", "RU", "closed", "")] == 2


def test_tallies_follow_an_edit_and_a_second_refresh_changes_nothing(
    fresh_engine: Engine, seed_copy: Path
) -> None:
    seed(fresh_engine, seed_copy)

    def reopen_vientuli_and_drop_a_country(records: Records) -> None:
        record(records, "crossings", "vientuli")["status"] = "open"
        visas = record(records, "restrictions", "tourist-visa-stop-2022")
        visas["countries"] = [c for c in visas["countries"] if c != "NO"]

    edit_records(seed_copy, reopen_vientuli_and_drop_a_country)
    report = seed(fresh_engine, seed_copy)

    assert report.tallies > 0
    tallies = crossing_tallies(fresh_engine)
    assert tallies == counted_crossings(fresh_engine)
    assert tallies[("LV", "RU", "closed", "")] == 1
    assert restriction_tallies(fresh_engine) == counted_restrictions(fresh_engine)
    with Session(fresh_engine) as session:
        assert refresh_tallies(session) == 0
