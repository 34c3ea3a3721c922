"""Engine factories: SQLite's pragmas, PostgreSQL's timeouts, the commands' engine."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import create_engine

from app.config import get_settings
from app.db.errors import READ_ONLY, classify

# Execution option that marks a write session's connection (see `app.db.session.write_session`).
WRITE = "borderstatus_write"


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 5000,
    pool_size: int = 40,
    pool_timeout: float = 30.0,
    connect_timeout: int = 10,
    statement_timeout_ms: int = 0,
) -> Engine:
    """Create an engine for `url`; SQLite gets WAL, foreign keys and a busy timeout.

    On PostgreSQL a connection that can't be opened within `connect_timeout` seconds, a pool
    with nothing free within `pool_timeout`, or a statement running past `statement_timeout_ms`
    (0: no limit) raises, so a request never hangs on a database that went away; TCP
    keepalives find a peer that vanished mid-query.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(
            url,
            **_postgres_options(pool_size, pool_timeout, connect_timeout, statement_timeout_ms),
        )
        event.listen(engine, "handle_error", _drop_read_only)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII letters only; the `q` filters match any case.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        # A write takes SQLite's write lock when it begins, so concurrent writers wait their
        # turn on the busy timeout; a deferred transaction that read first could not upgrade
        # its lock after another writer committed, and would fail. Reads begin as before.
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "handle_error", _drop_read_only)
    return engine


def _drop_read_only(context: ExceptionContext) -> None:
    """A connection that refused a write as read-only is dropped, and the pool's others with
    it: SQLite keeps a file it opened while the file was read-only read-only for as long as the
    connection lives, and PostgreSQL keeps the default_transaction_read_only a session began
    with, so once the store took writes again, those connections still would not."""
    error = context.sqlalchemy_exception
    if error is not None and classify(error) is READ_ONLY:
        context.is_disconnect = True


def takes_writes(connection: Connection) -> bool:
    """Whether a write on this database can work now: on SQLite, whether the connection is not
    query-only and this process may write the file, its -wal and -shm (or create them); on
    PostgreSQL, whether the session's
    transactions are read-write (a standby's, or a database set read-only, are not: the
    connection is then dropped, so that it is not kept once the database takes writes)."""
    if connection.dialect.name != "sqlite":
        read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar()
        if read_only == "off":
            return True
        connection.invalidate()
        return False
    if connection.exec_driver_sql("PRAGMA query_only").scalar():
        return False
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return True
    # os.access, not a trial open: closing any descriptor of the file would release the
    # locks SQLite holds on it in this process. Effective ids: what open() itself checks.
    path = Path(database)
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if file.exists() and not os.access(file, os.W_OK, effective_ids=True):
            return False
        if not file.exists() and not os.access(file.parent, os.W_OK | os.X_OK, effective_ids=True):
            return False
    return True


def _postgres_options(
    pool_size: int, pool_timeout: float, connect_timeout: int, statement_timeout_ms: int
) -> dict[str, Any]:
    connect_args: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return {
        "pool_pre_ping": True,
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": pool_timeout,
        "connect_args": connect_args,
    }


def make_loop_reader(
    url: str,
    *,
    pool_size: int = 40,
    pool_timeout: float = 30.0,
    connect_timeout: int = 10,
    statement_timeout_ms: int = 0,
) -> AsyncEngine | None:
    """For PostgreSQL, an engine on psycopg's asyncio connections, for the quick reads an event
    loop runs itself (see `app.db.runner.Database.read`); None for SQLite, which needs none. It
    belongs to the event loop that makes it, and must be disposed of there."""
    if make_url(url).get_backend_name() == "sqlite":
        return None
    # Autocommit: a read is one or two statements, and without a transaction around them each
    # costs one round trip, with no BEGIN before and no ROLLBACK when the connection goes back.
    # No pre-ping, another round trip: a read that finds its connection dead is tried again
    # (`app.db.runner.Database._read_on_loop`).
    options = _postgres_options(pool_size, pool_timeout, connect_timeout, statement_timeout_ms)
    options["pool_pre_ping"] = False
    return create_async_engine(
        url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **options
    )


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


@lru_cache
def get_engine() -> Engine:
    """The engine for the configured database, for commands (the app makes its own)."""
    settings = get_settings()
    return make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )
