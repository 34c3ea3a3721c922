"""A day passing changes answers with no write: a change dated tomorrow holds from tomorrow,
in the stored documents, the status filters and every worker's cache."""

import datetime as dt
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import app.dated
from app.dated import today
from app.derived.day import documents_on, roll_documents
from tests.conftest import client_for, writable_client
from tests.routes.checks import get_ok
from tests.writes import NARVA_QUEUES, cite, close_narva, patch

MEASURE = "ee-full-inspection"


def lift_tomorrow(client: TestClient) -> dt.date:
    """Record that Estonia's full inspection ends tomorrow; tomorrow's date."""
    tomorrow = today() + dt.timedelta(days=1)
    response = patch(
        client,
        f"/v1/restrictions/{MEASURE}",
        {
            "status": "lifted",
            "effective": tomorrow.isoformat(),
            "summary": "Estonia no longer inspects all cargo and all passengers.",
            "citations": cite(NARVA_QUEUES),
        },
    )
    assert response.status_code == 200, response.text
    return tomorrow


def move_to(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    monkeypatch.setattr(app.dated, "utc_now", lambda: noon)


def listed(client: TestClient, **params: Any) -> dict[str, str]:
    """The Estonian measures listed, with the status each is served with."""
    data = get_ok(client, "/v1/restrictions", country="EE", **params)["data"]
    return {r["id"]: r["status"] for r in data}


def test_a_change_dated_tomorrow_holds_only_from_tomorrow(
    writer: TestClient, seeded_fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = lift_tomorrow(writer)

    # Today it is still in force, whatever the status filter asked.
    assert listed(writer)[MEASURE] == "in_force"
    assert listed(writer, status="in_force")[MEASURE] == "in_force"
    assert MEASURE not in listed(writer, status="lifted")

    move_to(monkeypatch, tomorrow)
    assert roll_documents(seeded_fresh_engine, tomorrow) >= 1
    assert documents_on(seeded_fresh_engine) == tomorrow
    assert roll_documents(seeded_fresh_engine, tomorrow) == 0

    reader = client_for(seeded_fresh_engine)
    assert listed(reader)[MEASURE] == "lifted"
    assert listed(reader, status="lifted") == {MEASURE: "lifted"}
    assert MEASURE not in listed(reader, status="in_force")
    assert get_ok(reader, f"/v1/restrictions/{MEASURE}")["status"] == "lifted"


def test_a_border_counts_its_crossings_by_their_status_today(
    writer: TestClient, seeded_fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    tomorrow = today() + dt.timedelta(days=1)
    before = get_ok(writer, "/v1/borders/EE-RU")["crossing_counts"]
    response = patch(writer, "/v1/crossings/narva", close_narva(effective=tomorrow.isoformat()))
    assert response.status_code == 200, response.text

    assert get_ok(writer, "/v1/borders/EE-RU")["crossing_counts"] == before
    move_to(monkeypatch, tomorrow)
    after = get_ok(client_for(seeded_fresh_engine), "/v1/borders/EE-RU")["crossing_counts"]
    assert (after["open"], after["closed"]) == (before["open"] - 1, before["closed"] + 1)


def test_a_worker_rebuilds_the_documents_on_the_first_poll_of_a_day(
    seeded_fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with writable_client(seeded_fresh_engine) as worker:
        tomorrow = lift_tomorrow(worker)
        assert listed(worker)[MEASURE] == "in_force"

        move_to(monkeypatch, tomorrow)
        worker.app.state.data_version.poll()  # type: ignore[attr-defined]

        deadline = time.monotonic() + 60
        while listed(worker)[MEASURE] != "lifted":
            assert time.monotonic() < deadline, "the new day was never rolled"
            time.sleep(0.05)
    assert documents_on(seeded_fresh_engine) == tomorrow


def test_a_seeded_store_is_built_for_today(seeded_fresh_engine: Engine) -> None:
    assert documents_on(seeded_fresh_engine) == today()
