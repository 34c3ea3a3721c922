"""Derived data follows every write, and a write rebuilds only what it touched."""

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.documents import Changes, refresh_derived
from tests.writes import auth, close_narva


def stored_docs(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, doc FROM crossing")).all())  # type: ignore[arg-type]


def test_a_write_rebuilds_the_documents_of_the_records_it_touched_only(
    writer: TestClient, seeded_fresh_engine: Engine
) -> None:
    # Marks every other document: a whole-table rebuild would put them back.
    with seeded_fresh_engine.begin() as conn:
        conn.execute(text("UPDATE crossing SET doc = 'untouched' WHERE id <> 'narva'"))

    response = writer.patch("/v1/crossings/narva", headers=auth(), json=close_narva())

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
        assert refresh_derived(session, Changes(everything=True)) == 0
        session.commit()
    assert version() == start
    with Session(seeded_fresh_engine) as session:
        refresh_derived(session, Changes(records=frozenset({("crossing", "narva")})))
        session.commit()
    assert version() == start + 1
