"""Sessions: on SQLite a write holds the write lock from its first statement, so a second writer
waits its turn (busy timeout) instead of failing halfway through; and a session closes cleanly
when the database went away after its work was done."""

import gc
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import anyio
import anyio.to_thread
import psycopg
import pytest
from anyio.from_thread import BlockingPortal
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy import exc as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import Receive, Scope, Send

from app.config import Settings
from app.db.engine import make_engine
from app.db.errors import BUSY, classify
from app.db.runner import Database, WritesFirst
from app.db.session import close_quietly, write_session
from app.main import create_app


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


# --- writes take turns ----------------------------------------------------------------------


def noting(order: list[str], name: str, pause: float = 0.0) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        order.append(f"{name} begins")
        session.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
        time.sleep(pause)
        order.append(f"{name} ends")
        return name

    return work


def test_the_writes_of_one_process_take_turns_in_the_order_they_came(fresh_engine: Engine) -> None:
    database = Database(fresh_engine, write_wait=10)
    order: list[str] = []

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(database.write, noting(order, "a", 0.3))
            await anyio.sleep(0.05)
            for name in "bcde":
                tasks.start_soon(database.write, noting(order, name))
                await anyio.sleep(0.01)

    anyio.run(main)
    assert order == [f"{name} {step}" for name in "abcde" for step in ("begins", "ends")]


def test_a_write_that_gets_no_turn_in_time_is_refused_as_busy_and_changes_nothing(
    fresh_engine: Engine,
) -> None:
    database = Database(fresh_engine, write_wait=0.1)
    version = "SELECT version FROM data_version"
    with fresh_engine.connect() as conn:
        before = conn.execute(text(version)).scalar_one()
    order: list[str] = []
    refused: list[BaseException] = []

    async def second() -> None:
        await anyio.sleep(0.05)
        try:
            await database.write(noting(order, "b"))
        except sa.TimeoutError as exc:
            refused.append(exc)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(database.write, noting(order, "a", 0.5))
            tasks.start_soon(second)

    anyio.run(main)
    assert order == ["a begins", "a ends"], "b never ran"
    assert len(refused) == 1 and classify(refused[0]) is BUSY
    with fresh_engine.connect() as conn:
        assert conn.execute(text(version)).scalar_one() == before + 1, "a's write alone"


def read_after_writes(
    database: Database,
    writes: list[Callable[[Session], str]],
    *,
    bound: float,
    order: list[str] | None = None,
    path: str = "/",
) -> float:
    """How long a read waited in `WritesFirst` with `bound`, coming while `writes` (each
    started 10 ms after the one before) waited or ran; it notes "read" in `order` as it runs."""
    order = [] if order is None else order
    waited: list[float] = []

    async def read(scope: Scope, receive: Receive, send: Send) -> None:
        order.append("read")

    gate = WritesFirst(read, database=database, bound=bound, exempt=frozenset({"/healthz"}))

    async def reader() -> None:
        await anyio.sleep(0.05)
        start = time.monotonic()
        scope = {"type": "http", "method": "GET", "path": path}
        await gate(scope, None, None)  # type: ignore[arg-type]
        waited.append(time.monotonic() - start)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for work in writes:
                tasks.start_soon(database.write, work)
                await anyio.sleep(0.01)
            tasks.start_soon(reader)

    anyio.run(main)
    return waited[0]


def test_a_read_that_reaches_the_database_waits_for_the_writes_under_way(
    fresh_engine: Engine,
) -> None:
    """A write holds the write lock while it runs Python, and each read thread beside it
    slows it, and every write queued behind it."""
    database = Database(fresh_engine, write_wait=10)
    order: list[str] = []
    writes = [noting(order, "a", 0.3), noting(order, "b", 0.1)]
    read_after_writes(database, writes, bound=5, order=order)
    # The read came while a ran and b waited for its turn: it ran after both.
    assert order == ["a begins", "a ends", "b begins", "b ends", "read"]
    assert read_after_writes(database, [], bound=5) < 0.5, "with no write, it waits for none"


def test_a_read_waits_for_writes_no_longer_than_its_bound_nor_a_health_check_at_all(
    fresh_engine: Engine,
) -> None:
    database = Database(fresh_engine, write_wait=10)
    # The write runs 3 s; the read waits 0.2 s for it.
    assert 0.15 < read_after_writes(database, [noting([], "a", 3)], bound=0.2) < 2
    assert read_after_writes(database, [noting([], "a", 3)], bound=5, path="/healthz") < 2


@pytest.mark.slow
def test_serving_sizes_the_threads_for_the_store_and_restores_the_switch_interval(
    fresh_engine: Engine,
) -> None:
    before = sys.getswitchinterval()
    sqlite = fresh_engine.dialect.name == "sqlite"
    for settings, threads in [
        (Settings(database_url=str(fresh_engine.url)), 2 if sqlite else 40),
        (Settings(database_url=str(fresh_engine.url), worker_threads=7), 7),
    ]:
        with TestClient(create_app(settings, engine=fresh_engine)) as client:
            portal = cast(BlockingPortal, client.portal)  # set while the client is open
            limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
            assert limiter.total_tokens == threads
            assert sys.getswitchinterval() == pytest.approx(settings.switch_interval_seconds)
        assert sys.getswitchinterval() == pytest.approx(before)


@pytest.mark.slow
def test_serving_keeps_what_start_up_made_out_of_the_collector_until_shutdown(
    fresh_engine: Engine,
) -> None:
    """Full collections under load walked every object the app made before serving (see
    docs/performance.md): those are frozen while it serves, and given back when it stops."""
    app = create_app(Settings(database_url=str(fresh_engine.url)), engine=fresh_engine)
    made_before = app.router
    with TestClient(app):
        assert gc.get_freeze_count() > 0
        assert not any(tracked is made_before for tracked in gc.get_objects())
    assert gc.get_freeze_count() == 0
    assert any(tracked is made_before for tracked in gc.get_objects())


def test_a_serving_app_reads_postgresql_lists_on_its_event_loop_with_the_same_answers(
    seeded_engine: Engine,
) -> None:
    if seeded_engine.dialect.name != "postgresql":
        pytest.skip("SQLite's quick reads run on the event loop without an engine of their own")
    settings = Settings(database_url=str(seeded_engine.url), response_cache=False)
    urls = ["/v1/crossings?country=LV", "/v1/restrictions?country=NO", "/v1/crossings?limit=2"]
    threaded = TestClient(create_app(settings, engine=seeded_engine))  # not serving: threads
    expected = {url: threaded.get(url).content for url in urls}
    checkouts: list[int] = []
    app = create_app(settings, engine=seeded_engine)
    with TestClient(app) as client:
        reader = app.state.database.loop_reader
        assert reader is not None
        event.listen(reader.sync_engine, "checkout", lambda *_: checkouts.append(1))
        answers = {url: client.get(url).content for url in urls}
        cursor = client.get("/v1/crossings", params={"limit": 2}).json()["meta"]["next"]
        second = client.get("/v1/crossings", params={"limit": 2, "cursor": cursor})
    assert answers == expected
    assert second.status_code == 200 and len(second.json()["data"]) == 2
    assert len(checkouts) == len(urls) + 2, "each list page read on the loop's own connections"
    assert app.state.database.loop_reader is None, "disposed of when serving ends"


def test_a_list_read_whose_connection_died_is_tried_again_on_a_new_one(
    seeded_engine: Engine,
) -> None:
    if seeded_engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's loop reads keep connections that a server restart kills")
    settings = Settings(database_url=str(seeded_engine.url), response_cache=False)
    urls = ["/v1/crossings?country=LV", "/v1/restrictions?country=NO"]
    with TestClient(create_app(settings, engine=seeded_engine)) as client:
        before = {url: client.get(url).content for url in urls}
        # As a restart would: every other connection to this database is closed by the server.
        with seeded_engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert killed >= 1
        after = {url: client.get(url) for url in urls}
    assert {url: a.status_code for url, a in after.items()} == dict.fromkeys(urls, 200)
    assert {url: a.content for url, a in after.items()} == before
