"""Sessions: on SQLite a write holds the write lock from its first statement, so a second writer
waits its turn (busy timeout) instead of failing halfway through; and a session closes cleanly
when the database went away after its work was done."""

import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc as sa
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import close_quietly, make_engine, write_session


def test_a_write_session_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=5000, pool_size=2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with write_session(engine) as session:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            session.execute(text("INSERT INTO t VALUES (1)"))
            session.commit()
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    finally:
        other.close()
        engine.dispose()


def test_a_read_session_takes_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}", pool_size=2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with Session(engine) as session:
            session.execute(text("SELECT count(*) FROM t")).scalar_one()
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO t VALUES (2)")
            other.execute("COMMIT")
    finally:
        other.close()
        engine.dispose()


def test_a_session_closing_on_a_lost_connection_is_not_an_error(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = Session(seeded_engine)
    lost = sa.OperationalError("ROLLBACK", {}, psycopg.OperationalError("server closed"))

    def close() -> None:
        raise lost

    monkeypatch.setattr(session, "close", close)
    close_quietly(session)


def test_a_session_that_fails_to_close_for_another_reason_raises(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = Session(seeded_engine)

    def close() -> None:
        raise sa.ProgrammingError("ROLLBACK", {}, Exception("a bug"))

    monkeypatch.setattr(session, "close", close)
    with pytest.raises(sa.ProgrammingError):
        close_quietly(session)
