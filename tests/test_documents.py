"""Derived data follows every write: stored documents, search documents, the tallies behind
list totals; and a write rebuilds only what it touched."""

import datetime as dt
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from app import dated
from app.curation.audit import Write
from app.curation.records import update_record
from app.dates import parse_partial
from app.db.session import write_session
from app.derived.refresh import Changes, Refreshed, refresh_derived
from app.derived.tallies import refresh_tallies
from app.history import period_before
from app.kinds import CROSSING, RESTRICTION
from app.models import (
    Crossing,
    CrossingTally,
    CrossingTraffic,
    Event,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
    Source,
)
from app.payloads import CrossingPatch
from app.presenters.records import present, render
from app.schemas import CrossingStatus, RestrictionStatus
from app.seed.sync import seed
from tests.conftest import SEED_DIR
from tests.records_file import Records, edit_records, record
from tests.writes import NARVA_CLOSURE, auth, cite, close_narva, new_crossing, patch


def stored_docs(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, doc FROM crossing")).all())


def test_a_write_rebuilds_the_documents_of_the_records_it_touched_only(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    # Marks every other document: a whole-table rebuild would put them back.
    with seeded_fresh_engine.begin() as conn:
        conn.execute(text("UPDATE crossing SET doc = 'untouched' WHERE id <> 'narva'"))

    response = patch(writer, "/v1/crossings/narva", close_narva())

    assert response.status_code == 200
    docs = stored_docs(seeded_fresh_engine)
    assert {doc for record_id, doc in docs.items() if record_id != "narva"} == {"untouched"}
    listed = writer.get("/v1/crossings?country=EE&q=narva").json()["data"]
    assert listed == [{k: v for k, v in response.json().items() if k not in ("history", "facts")}]


def test_refresh_derived_bumps_the_data_version_only_for_a_change(
    seeded_fresh_engine: Engine,
) -> None:
    def version() -> int:
        with seeded_fresh_engine.connect() as conn:
            return int(conn.execute(text("SELECT version FROM data_version")).scalar_one())

    start = version()
    with Session(seeded_fresh_engine) as session:
        assert refresh_derived(session, Changes(everything=True)) == Refreshed(0, 0)
        session.commit()
    assert version() == start
    with Session(seeded_fresh_engine) as session:
        refresh_derived(session, Changes(records=frozenset({("crossing", "narva")})))
        session.commit()
    assert version() == start + 1


def crossing_tallies(engine: Engine) -> dict[tuple[str, ...], int]:
    with Session(engine) as session:
        return {
            (t.country, t.neighbour, t.status, t.mode): t.n
            for t in session.exec(select(CrossingTally)).scalars()  # type: ignore[call-overload]
            if t.n
        }


def counted_crossings(engine: Engine) -> Counter[tuple[str, ...]]:
    """The tallies counted the slow way, one crossing at a time."""
    counts: Counter[tuple[str, ...]] = Counter()
    with Session(engine) as session:
        modes: dict[str, list[str]] = {}
        for t in session.exec(select(CrossingTraffic)).scalars():  # type: ignore[call-overload]
            modes.setdefault(t.crossing_id, []).append(t.mode)
        for c in session.exec(select(Crossing)).scalars():  # type: ignore[call-overload]
            for mode in ["", *modes.get(c.id, [])]:
                counts[(c.country, c.neighbour, c.status, mode)] += 1
    return counts


def counted_restrictions(engine: Engine) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    with Session(engine) as session:
        countries: dict[str, list[str]] = {}
        for link in session.exec(select(RestrictionCountry)).scalars():  # type: ignore[call-overload]
            countries.setdefault(link.restriction_id, []).append(link.country)
        for r in session.exec(select(Restriction)).scalars():  # type: ignore[call-overload]
            for code in ["", *countries.get(r.id, [])]:
                counts[(code, r.kind, r.status)] += 1
    return counts


def restriction_tallies(engine: Engine) -> dict[tuple[str, ...], int]:
    with Session(engine) as session:
        return {
            (t.country, t.kind, t.status): t.n
            for t in session.exec(select(RestrictionTally)).scalars()  # type: ignore[call-overload]
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


def test_list_totals_follow_a_curators_writes(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    """Totals are read from the tallies (limit=1 leaves matches off the page), so every
    write must recount them in its transaction."""

    def total(**params: str) -> int:
        body = writer.get("/v1/crossings", params={**params, "limit": "1"}).json()
        return int(body["meta"]["total"])

    closed_in_estonia = total(country="EE", status="closed")
    assert patch(writer, "/v1/crossings/narva", close_narva()).status_code == 200
    assert total(country="EE", status="closed") == closed_in_estonia + 1
    created = writer.post("/v1/crossings", headers=auth(), json=new_crossing())
    assert created.status_code == 201, created.text
    assert total(country="FI") == 1
    assert total(traffic="truck", status="closed") >= 1
    assert crossing_tallies(seeded_fresh_engine) == counted_crossings(seeded_fresh_engine)


def test_a_write_that_moves_records_between_groups_leaves_every_tally_right(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    """A record that leaves its country, status, kind or traffic mode leaves its count there:
    the recount covers the groups it was in as well as those it is in now."""
    moves: list[tuple[str, dict[str, Any]]] = [
        (
            "crossings/narva",
            {"country": "LV", "status": "closed", "traffic": ["rail"], "keep": ["notes"]},
        ),
        ("crossings/narva", {"country": "EE", "status": "restricted", "keep": ["notes"]}),
        (
            "restrictions/lv-electronic-queue",
            {"kind": "entry", "status": "lifted", "countries": ["EE", "LT"], "keep": ["summary"]},
        ),
    ]
    for path, change in moves:
        response = patch(writer, f"/v1/{path}", {**change, "citations": cite(NARVA_CLOSURE)})
        assert response.status_code == 200, response.text
        assert crossing_tallies(seeded_fresh_engine) == counted_crossings(seeded_fresh_engine)
        assert restriction_tallies(seeded_fresh_engine) == counted_restrictions(seeded_fresh_engine)
    assert writer.get("/v1/crossings?country=LV&status=closed&limit=1").json()["meta"]["total"] == 2


def test_a_write_recounts_only_the_tally_groups_it_touched(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    """A recount of the whole table grew with the store (0.46 s a write at 100k crossings on
    SQLite); a write's is bounded by the groups of its record."""
    untouched = ("NO", "RU", "restricted", "")
    with Session(seeded_fresh_engine) as session:
        row = session.get(CrossingTally, untouched)
        assert row is not None
        row.n = 999  # wrong on purpose: a recount of everything would put it right
        session.commit()

    assert patch(writer, "/v1/crossings/narva", close_narva()).status_code == 200

    tallies = crossing_tallies(seeded_fresh_engine)
    assert tallies.pop(untouched) == 999
    counted = counted_crossings(seeded_fresh_engine)
    counted.pop(untouched)
    assert tallies == counted


def test_concurrent_writes_on_postgresql_take_turns_to_recount(
    seeded_fresh_engine: Engine,
) -> None:
    """Two hosts write at once in the same tally group. A recount that ran beside the other's
    uncommitted change, and was stored after it, would leave a count one short."""
    if seeded_fresh_engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time (BEGIN IMMEDIATE)")

    def close(session: Session, crossing_id: str) -> None:
        update_record(
            session,
            Write("alice", "PATCH", f"/v1/crossings/{crossing_id}"),
            kind_name="crossing",
            record_id=crossing_id,
            payload=CrossingPatch.model_validate(close_narva()),
            if_match=None,
        )

    second_done = threading.Event()
    failures: list[BaseException] = []

    def second_host() -> None:
        try:
            with write_session(seeded_fresh_engine) as session:
                close(session, "koidula")
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)
        finally:
            second_done.set()

    with write_session(seeded_fresh_engine) as first:
        close(first, "narva")
        other = threading.Thread(target=second_host)
        other.start()
        assert not second_done.wait(0.5), "the second recount ran beside the first write"
        first.commit()
    other.join(10)

    assert not failures, failures
    tallies = crossing_tallies(seeded_fresh_engine)
    assert tallies == counted_crossings(seeded_fresh_engine)
    assert tallies[("EE", "RU", "closed", "")] == 2


CROSSING_STATUSES = get_args(CrossingStatus)
RESTRICTION_STATUSES = get_args(RestrictionStatus)


def history_dates(engine: Engine) -> list[dt.date]:
    """Every date a status can change at in the seed data (the first and last day of a dated
    change's period, the period before it, an article's publication), with the days either
    side, up to today."""
    with Session(engine) as session:
        dates = list(session.exec(select(Event.date)).scalars())  # type: ignore[call-overload, attr-defined]
        dates += [r.until for r in session.exec(select(Restriction)).scalars()]  # type: ignore[call-overload]
        dates += [c.status_since for c in session.exec(select(Crossing)).scalars()]  # type: ignore[call-overload]
        dates += [s.published for s in session.exec(select(Source)).scalars()]  # type: ignore[call-overload]
    found = {dt.date(1900, 1, 1)}
    for date in filter(None, dates):
        found |= {*parse_partial(date), period_before(date)}
    today = dt.datetime.now(dt.UTC).date()
    days = {d + dt.timedelta(days=shift) for d in found for shift in (-1, 0, 1)}
    return sorted(d for d in days if d <= today)


@pytest.mark.slow
def test_as_of_lists_give_each_record_the_status_its_history_gives_on_every_date(
    uncached_client: TestClient, seeded_engine: Engine
) -> None:
    """The lists filter by the stored status periods; each record's history, read on the date
    itself, is what they must agree with."""

    served: dict[str, list[dict[str, Any]]] = {}

    def listed(path: str, **params: str) -> list[str]:
        body = uncached_client.get(path, params={**params, "limit": "500"}).json()
        served[path] = body["data"]
        found = [record["id"] for record in body["data"]]
        assert body["meta"]["total"] == len(found)
        # A page that doesn't hold them all counts them.
        first = uncached_client.get(path, params={**params, "limit": "1"}).json()
        assert first["meta"]["total"] == len(found), (path, params)
        return found

    with Session(seeded_engine) as session:
        crossings = list(session.exec(select(Crossing).order_by(col(Crossing.id))).scalars())  # type: ignore[call-overload]
        restrictions = list(
            session.exec(select(Restriction).order_by(col(Restriction.id))).scalars()  # type: ignore[call-overload]
        )
        dates = history_dates(seeded_engine)
        assert len(dates) > 30
        for date in dates:
            on = date.isoformat()
            for path, rows, statuses in [
                ("/v1/crossings", crossings, CROSSING_STATUSES),
                ("/v1/restrictions", restrictions, RESTRICTION_STATUSES),
            ]:
                found = dated.statuses_at(session, rows, as_of=date)
                expected = {r.id: dated.listed_status(r, found[r.id]) for r in rows}
                assert listed(path, as_of=on) == [i for i, s in expected.items() if s], (path, on)
                # Each record whole, as its history presents it on the date.
                kind = CROSSING if path == "/v1/crossings" else RESTRICTION
                shown = [r for r in rows if expected[r.id]]
                then = [
                    json.loads(render(out)) for out in present(session, kind, shown, as_of=date)
                ]
                assert served[path] == then, (path, on)
                for status in statuses:
                    want = [i for i, s in expected.items() if s == status]
                    assert listed(path, as_of=on, status=status) == want, (path, on, status)


def test_a_status_change_moves_the_record_between_as_of_lists_from_its_date(
    writer: TestClient,
) -> None:
    def closed_on(date: str) -> list[str]:
        body = writer.get("/v1/crossings", params={"as_of": date, "status": "closed"}).json()
        return [c["id"] for c in body["data"]]

    assert "narva" not in closed_on("2026-03-01")
    body = close_narva(effective="2026-02-10")
    assert patch(writer, "/v1/crossings/narva", body).status_code == 200

    assert "narva" not in closed_on("2026-02-09")
    assert "narva" in closed_on("2026-02-10")
    assert "narva" in closed_on("2026-03-01")
