"""Engine factory, SQLite pragmas and the request session dependency."""

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy.exc
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import ClauseElement, event, text
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection, ExceptionContext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session, create_engine

from app.config import get_settings
from app.dberrors import READ_ONLY, classify

T = TypeVar("T")
# Execution option that marks a write session's connection (see `write_session`).
WRITE = "borderstatus_write"

log = logging.getLogger("borderstatus")


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
    loop runs itself (see `Database.read`); None for SQLite, which needs none. It belongs to
    the event loop that makes it, and must be disposed of there."""
    if make_url(url).get_backend_name() == "sqlite":
        return None
    # Autocommit: a read is one or two statements, and without a transaction around them each
    # costs one round trip, with no BEGIN before and no ROLLBACK when the connection goes back.
    # No pre-ping, another round trip: a read that finds its connection dead is tried again
    # (`Database._read_on_loop`).
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


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, on the application's engine."""
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        close_quietly(session)


def close_quietly(session: Session) -> None:
    """Close `session`. When the database went away after the work was done, the rollback on
    close fails, and SQLAlchemy has already discarded the connection: that failure is not the
    request's (its answer may be sent already), so it is logged, not raised."""
    try:
        session.close()
    except SQLAlchemyError as exc:
        if classify(exc) is None:
            raise
        log.warning("closing a session on a lost connection: %s", f"{exc}".partition("\n")[0])


SessionDep = Annotated[Session, Depends(get_session)]


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write, its transaction begun (BEGIN IMMEDIATE on SQLite).

    The caller commits; leaving without a commit rolls the write back.
    """
    with Session(engine) as session:
        session.connection(execution_options={WRITE: True})
        yield session


def as_sqlalchemy_error(
    dialect: Dialect, error: Any, connection: PoolProxiedConnection | None = None
) -> StatementError:
    """A driver's `error` as SQLAlchemy raises it on every other path, so that a database that
    is down or busy answers a 503 (app.problems); a `connection` it found lost is dropped from
    the pool."""
    lost = connection is not None and dialect.is_disconnect(
        error, connection.dbapi_connection, None
    )
    if lost and connection is not None:
        connection.invalidate(error)
    wrapped: StatementError = DBAPIError.instance(
        None, None, error, dialect.loaded_dbapi.Error, connection_invalidated=lost
    )
    return wrapped


def read_once(engine: Engine, work: Callable[[DBAPIConnection], T], *, facade: bool = False) -> T:
    """`work` on a connection from `engine`'s pool: the driver's own, or with `facade` the
    DBAPI connection SQLAlchemy wraps around it (an asyncio driver's sync face)."""
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except driver_error as exc:
        raise as_sqlalchemy_error(dialect, exc) from exc
    try:
        driver = connection.dbapi_connection if facade else connection.driver_connection
        return work(driver)  # type: ignore[arg-type]
    except driver_error as exc:
        raise as_sqlalchemy_error(dialect, exc, connection) from exc
    finally:
        # Back to the pool, which rolls back whatever the read opened.
        connection.close()


class Database:
    """Runs a piece of sync database work in a worker thread, with a session of its own.

    For `async def` routes: one thread hop for all their database work, instead of one per
    sync dependency, and the session never touches the event loop.
    """

    def __init__(self, engine: Engine, *, write_wait: float = 10.0) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.write_wait = write_wait
        # Made on first use, inside the event loop that serves.
        self._writers: anyio.Lock | None = None
        self._write_thread: anyio.CapacityLimiter | None = None
        # PostgreSQL's quick reads on the serving event loop (`make_loop_reader`), once serving.
        self.loop_reader: AsyncEngine | None = None

    async def run(self, work: Callable[[Session], T]) -> T:
        def in_thread() -> T:
            session = Session(self.engine)
            try:
                return work(session)
            finally:
                close_quietly(session)

        return await run_in_threadpool(in_thread)

    async def read(self, work: Callable[[DBAPIConnection], T], *, quick: bool = False) -> T:
        """`work` on a pooled driver connection: for `PreparedQuery` reads.

        `quick` says the reads are answered from an index and bounded by a page size. Those
        don't hop to a worker thread, which under concurrent load also contends for the
        interpreter lock (it halved the cold throughput, see docs/performance.md):
        - on SQLite they run on the event loop: a WAL reader never waits for a writer, and
          such a read takes tens of microseconds, less than the hop;
        - on PostgreSQL, once serving, they run on an asyncio connection of `loop_reader`, so
          the loop serves other requests while the database answers. Each statement is
          its own transaction there: a page and its total may straddle a write.
        Everything else, and every read of an app that isn't serving (no lifespan), runs in
        a worker thread.
        """

        if quick and self.sqlite:
            return read_once(self.engine, work)
        if quick and self.loop_reader is not None:
            return await self._read_on_loop(self.loop_reader, work)
        return await run_in_threadpool(read_once, self.engine, work)

    @staticmethod
    async def _read_on_loop(reader: AsyncEngine, work: Callable[[DBAPIConnection], T]) -> T:
        """`work` on an asyncio connection, on this event loop: taking the connection, the
        work and giving it back run as plain code in one greenlet, and each wait for the
        database is the loop's, so no thread is involved."""
        # The sync facade of the asyncio connections: their statements wait in the greenlet.
        once = partial(read_once, reader.sync_engine, work, facade=True)
        try:
            return await greenlet_spawn(once)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        # The connection had died since its last use, the server most likely restarted: the
        # others in the pool are as old. A read changes nothing, so it is tried again, once,
        # on a new connection.
        await reader.dispose()
        return await greenlet_spawn(once)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a write transaction in a worker thread and commit it: when this
        returns, the write is durable (FastAPI would run a dependency's teardown only after
        the response is sent, so the commit is here, not there).

        The writes of this process take turns, first come first served, before they take a
        connection: the database takes one writer at a time anyway, and SQLite's busy
        handler, which polls, lets a newcomer overtake a write that has waited for seconds.
        A write that can't have its turn within `write_wait` seconds is refused as busy (a
        503 with Retry-After), having changed nothing.
        """

        def in_thread() -> T:
            with write_session(self.engine) as session:
                result = work(session)
                session.commit()
                return result

        if self._writers is None:
            self._writers = anyio.Lock()
            self._write_thread = anyio.CapacityLimiter(1)
        # Only the wait for a turn is bounded: a write that has begun runs to its end.
        with anyio.move_on_after(self.write_wait) as waiting:
            await self._writers.acquire()
        if waiting.cancelled_caught:
            raise sqlalchemy.exc.TimeoutError(
                f"no turn to write within {self.write_wait:g} s: the other writes of this "
                "process had it"
            )
        try:
            # A thread of the writes' own: the reads can't keep a write waiting for one.
            try:
                return await anyio.to_thread.run_sync(in_thread, limiter=self._write_thread)
            except DBAPIError as error:
                if not (error.connection_invalidated and classify(error) is READ_ONLY):
                    raise
            # Refused as read-only, having changed nothing, on a connection that may have been
            # opened while the store was read-only and kept since: the pool has dropped them
            # (`_drop_read_only`), so once more on a new one, which tells the store's state now.
            return await anyio.to_thread.run_sync(in_thread, limiter=self._write_thread)
        finally:
            self._writers.release()


@dataclass(frozen=True)
class PreparedQuery:
    """A statement compiled once for a dialect and run on a driver connection.

    The hottest reads skip building the statement and SQLAlchemy's execution layer on every
    request; what they bind are plain strings and integers, which need no type processing.
    """

    sql: str
    defaults: Mapping[str, Any]
    # Parameter names in order, for drivers with positional placeholders (SQLite's `?`).
    positions: tuple[str, ...] | None

    def fetch(self, connection: DBAPIConnection, values: Mapping[str, Any]) -> list[Any]:
        params: Mapping[str, Any] = {**self.defaults, **values}
        cursor = connection.cursor()
        try:
            if self.positions is None:
                cursor.execute(self.sql, params)
            else:
                cursor.execute(self.sql, [params[name] for name in self.positions])
            return list(cursor.fetchall())
        finally:
            cursor.close()


@lru_cache(maxsize=1024)
def prepared(dialect: Dialect, statement: ClauseElement) -> PreparedQuery:
    """`statement` compiled for `dialect` (statements are built once per shape and cached)."""
    compiled = statement.compile(dialect=dialect)
    order = getattr(compiled, "positiontup", None)
    positions = tuple(order) if dialect.positional and order is not None else None
    return PreparedQuery(compiled.string, dict(compiled.params), positions)


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(get_settings().migrations_dir))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Alembic's ini interpolation treats % specially.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema of the database at `url` to `revision` (the only way it changes)."""
    command.upgrade(alembic_config(url), revision)


def schema_is_current(engine: Engine) -> bool:
    """True when the database's schema is at the latest migration."""
    heads = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


# Any constant that is ours alone: the key of PostgreSQL's advisory lock on preparing the store.
PREPARE_LOCK_KEY = 0x626F7264


@contextmanager
def prepare_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating or seeding, so hosts starting at once take turns (PostgreSQL).

    On SQLite the store is one file on one host, and its write lock already serialises writers.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PREPARE_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PREPARE_LOCK_KEY})
            conn.commit()
