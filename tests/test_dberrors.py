"""Database failures a client can wait out are 503s with Retry-After and a plain message:
down, busy, too slow, read-only, full. Reads carry on when writes can't."""

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import errors as pg
from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import errors as dberrors
from app.db.engine import make_engine
from app.main import create_app
from app.seed.sync import seed
from tests.conftest import SEED_DIR, Databases, writable_client
from tests.routes.checks import assert_problem
from tests.writes import auth, close_narva, patch

# --- the mapping, from errors the databases really raise -------------------------------------


def sqlite_error(tmp_path: Path, pragma: str, statement: str) -> sa.DBAPIError:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (x BLOB)"))
    try:
        with engine.begin() as conn:
            conn.execute(text(pragma))
            conn.execute(text(statement))
    except sa.DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the statement did not fail")


def test_sqlite_read_only_is_read_only(tmp_path: Path) -> None:
    error = sqlite_error(tmp_path, "PRAGMA query_only = ON", "INSERT INTO t VALUES (1)")
    assert "readonly" in str(error.orig)
    assert dberrors.classify(error) == dberrors.READ_ONLY


def test_sqlite_full_is_full(tmp_path: Path) -> None:
    error = sqlite_error(
        tmp_path, "PRAGMA max_page_count = 3", "INSERT INTO t VALUES (randomblob(100000))"
    )
    assert "full" in str(error.orig)
    assert dberrors.classify(error) == dberrors.FULL


def test_sqlite_locked_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(sa.OperationalError) as raised, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert dberrors.classify(raised.value) == dberrors.BUSY
    finally:
        holder.close()
        engine.dispose()


def test_sqlite_unreachable_file_is_down(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    engine = create_engine(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    with pytest.raises(sa.OperationalError) as raised, engine.connect():
        pass
    assert dberrors.classify(raised.value) == dberrors.DOWN


def test_sqlite_bad_sql_is_a_bug(tmp_path: Path) -> None:
    error = sqlite_error(tmp_path, "SELECT 1", "SELEKT nothing")
    assert dberrors.classify(error) is None


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (sa.InternalError("UPDATE t", {}, pg.ReadOnlySqlTransaction()), dberrors.READ_ONLY),
        (sa.OperationalError("INSERT", {}, pg.DiskFull()), dberrors.FULL),
        (sa.OperationalError("SELECT", {}, pg.QueryCanceled()), dberrors.SLOW),
        (sa.OperationalError("SELECT", {}, pg.AdminShutdown()), dberrors.DOWN),
        (sa.OperationalError("SELECT", {}, pg.CannotConnectNow()), dberrors.DOWN),
        (sa.OperationalError("connect", {}, pg.InvalidCatalogName()), dberrors.DOWN),
        (sa.OperationalError("SELECT", {}, pg.TooManyConnections()), dberrors.BUSY),
        (sa.OperationalError("UPDATE", {}, pg.SerializationFailure()), dberrors.BUSY),
        (sa.OperationalError("connect", {}, psycopg.OperationalError("refused")), dberrors.DOWN),
        (sa.ProgrammingError("SELECT", {}, pg.UndefinedTable()), None),
        (sa.DataError("SELECT", {}, pg.InvalidTextRepresentation()), None),
        (sa.TimeoutError("QueuePool limit reached"), dberrors.BUSY),
        (sa.DisconnectionError("gone"), dberrors.DOWN),
        (sa.NoResultFound(), None),
    ],
)
def test_postgresql_states_and_pool_errors(error: BaseException, state: object) -> None:
    assert dberrors.classify(error) == state


def test_a_real_postgresql_outage_is_down() -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/gone")
    with pytest.raises(sa.OperationalError) as raised, engine.connect():
        pass
    assert dberrors.classify(raised.value) == dberrors.DOWN


def test_a_postgresql_statement_past_the_timeout_is_slow(
    backend: str, seeded_engine: Engine
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no statement timeout")
    engine = make_engine(
        str(seeded_engine.url.render_as_string(hide_password=False)), statement_timeout_ms=50
    )
    try:
        with pytest.raises(sa.OperationalError) as raised, engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))
        assert dberrors.classify(raised.value) == dberrors.SLOW
    finally:
        engine.dispose()


# --- the service on a read-only or full database ---------------------------------------------


def restricted_engine(url: str, backend: str, setting: str) -> Engine:
    """An engine whose every connection is read-only or (SQLite) can't grow."""
    engine = make_engine(url, pool_size=2)

    @event.listens_for(engine, "connect")
    def _restrict(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if setting == "read-only" and backend == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        elif setting == "read-only":
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()
        else:
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    return engine


SETTINGS = [("read-only", "read-only"), ("full", "no room left")]


@pytest.fixture(scope="module")
def seeded_url(databases: Databases) -> str:
    url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    return url


@pytest.fixture(params=SETTINGS, ids=[s for s, _ in SETTINGS])
def restricted(
    request: pytest.FixtureRequest, backend: str, seeded_url: str
) -> Iterator[tuple[TestClient, str]]:
    setting, message = request.param
    if setting == "full" and backend != "sqlite":
        pytest.skip("a full PostgreSQL disk can't be made here; the mapping is tested above")
    engine = restricted_engine(seeded_url, backend, setting)
    yield writable_client(engine, raise_server_exceptions=False), message
    engine.dispose()


# An article large enough that storing it needs new pages: the full store has none left.
BIG_ARTICLE = {
    "file": "900_big_article.txt",
    "title": "A long article",
    "publisher": "Test Wire",
    "published": "2026-01-12",
    "text": "A long article\n\n" + "The checkpoint stayed closed on Monday. " * 5000,
}


@pytest.mark.fault
def test_reads_carry_on(restricted: tuple[TestClient, str]) -> None:
    client, _ = restricted
    for url in ("/v1/crossings?country=LV", "/v1/borders/NO-RU", "/v1/search?q=fence"):
        assert client.get(url).status_code == 200, url


@pytest.mark.fault
def test_readyz_says_when_writes_cannot_work(restricted: tuple[TestClient, str]) -> None:
    """A read-only store is not ready (it can't take writes); a full one may still take some."""
    client, message = restricted
    response = client.get("/readyz")
    if message == "read-only":
        body = assert_problem(response, 503)
        assert body["title"] == "Database read-only"
        assert int(response.headers["retry-after"]) > 0
    else:
        assert response.status_code == 200


@pytest.mark.fault
def test_a_write_is_a_503_that_says_why(restricted: tuple[TestClient, str]) -> None:
    client, message = restricted
    writes: list[Callable[[], httpx.Response]] = [
        lambda: client.post("/v1/sources", headers=auth(), json=BIG_ARTICLE)
    ]
    if message == "read-only":
        # A full store may still have room for a small write; a read-only one has none.
        writes.append(lambda: patch(client, "/v1/crossings/narva", close_narva()))
    for write in writes:
        response = write()
        body = assert_problem(response, 503)
        assert message in body["detail"]
        assert int(response.headers["retry-after"]) > 0
        assert "INSERT" not in response.text and "UPDATE" not in response.text
    assert client.get("/v1/sources/900_big_article.txt").status_code == 404
    if message == "read-only":
        assert client.get("/v1/crossings/narva").json()["status"] == "open"


@pytest.mark.fault
def test_the_database_down_is_a_503_on_every_route(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    engine = create_engine(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")
    client = TestClient(create_app(Settings(database_url=str(engine.url)), engine=engine))
    for url in ("/v1/crossings", "/v1/crossings/storskog", "/v1/search?q=fence", "/v1/countries"):
        response = client.get(url)
        body = assert_problem(response, 503)
        assert body["title"] == "Database unavailable"
        assert response.headers["retry-after"] == "5"
    assert_problem(client.get("/readyz"), 503)
    assert client.get("/healthz").status_code == 200
