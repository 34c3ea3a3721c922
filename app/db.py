"""Engine factory, SQLite pragmas and the request session dependency."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from app.config import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
T = TypeVar("T")
# Execution option that marks a write session's connection (see `write_session`).
WRITE = "borderstatus_write"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, pool_size: int = 40) -> Engine:
    """Create an engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        pool_size=pool_size,
        max_overflow=0,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        # A write takes SQLite's write lock when it begins, so concurrent writers wait their
        # turn on the busy timeout; a deferred transaction that read first could not upgrade
        # its lock after another writer committed, and would fail. Reads begin as before.
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write, its transaction begun (BEGIN IMMEDIATE on SQLite).

    The caller commits; leaving without a commit rolls the write back.
    """
    with Session(engine) as session:
        session.connection(execution_options={WRITE: True})
        yield session


class Database:
    """Runs a piece of sync database work in a worker thread, with a session of its own.

    For `async def` routes: one thread hop for all their database work, instead of one per
    sync dependency, and the session never touches the event loop.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, work: Callable[[Session], T]) -> T:
        def in_thread() -> T:
            with Session(self.engine) as session:
                return work(session)

        return await run_in_threadpool(in_thread)

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a write transaction in a worker thread and commit it: when this
        returns, the write is durable (FastAPI would run a dependency's teardown only after
        the response is sent, so the commit is here, not there)."""

        def in_thread() -> T:
            with write_session(self.engine) as session:
                result = work(session)
                session.commit()
                return result

        return await run_in_threadpool(in_thread)


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
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
