"""`Database`: an async route's database work, in a worker thread or on the event loop."""

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy.exc
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db.errors import READ_ONLY, classify
from app.db.session import close_quietly, write_session

T = TypeVar("T")


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
        # PostgreSQL's quick reads on the serving event loop (`app.db.engine.make_loop_reader`),
        # once serving.
        self.loop_reader: AsyncEngine | None = None
        # The writes of this process waiting for their turn or running, and an event set once
        # there are none (made on first use, inside the event loop that serves).
        self._writes = 0
        self._no_writes: anyio.Event | None = None

    async def after_writes(self, bound: float) -> None:
        """Return once no write of this process waits or runs, or after `bound` seconds.

        A read that is about to be computed calls this (`WritesFirst`): a write holds the
        database's write lock while its thread runs Python, sharing the interpreter lock with
        every reader thread, so each read begun beside it slows it and every write queued
        behind it. The bound keeps a steady stream of writes from holding reads up for
        longer than that.
        """
        if self._writes == 0 or self._no_writes is None:
            return
        with anyio.move_on_after(bound):
            await self._no_writes.wait()

    async def run(self, work: Callable[[Session], T]) -> T:
        def in_thread() -> T:
            session = Session(self.engine)
            try:
                return work(session)
            finally:
                close_quietly(session)

        return await run_in_threadpool(in_thread)

    async def read(self, work: Callable[[DBAPIConnection], T], *, quick: bool = False) -> T:
        """`work` on a pooled driver connection: for `app.db.prepared.PreparedQuery` reads.

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
        self._writes += 1
        if self._writes == 1:
            self._no_writes = anyio.Event()
        try:
            return await self._write_in_turn(in_thread)
        finally:
            self._writes -= 1
            if self._writes == 0 and self._no_writes is not None:
                self._no_writes.set()

    async def _write_in_turn(self, in_thread: Callable[[], T]) -> T:
        assert self._writers is not None
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
            # (`app.db.engine._drop_read_only`), so once more on a new one, which tells the store's
            # state now.
            return await anyio.to_thread.run_sync(in_thread, limiter=self._write_thread)
        finally:
            self._writers.release()


class WritesFirst:
    """ASGI middleware: a GET or HEAD waits, up to `bound` seconds, until this process has no
    write waiting or running (`Database.after_writes`). Behind the response cache, it holds
    up only the reads that reach the database. The `exempt` paths (health checks) never wait."""

    def __init__(
        self, app: ASGIApp, *, database: Database, bound: float, exempt: frozenset[str]
    ) -> None:
        self.app = app
        self.database = database
        self.bound = bound
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reads = scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
        if reads and scope["path"] not in self.exempt:
            await self.database.after_writes(self.bound)
        await self.app(scope, receive, send)


def database_of(request: Request) -> Database:
    """The application's `Database`, which its lifespan made."""
    database: Database = request.app.state.database
    return database
