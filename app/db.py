"""Engine factory, SQLite pragmas and the request session dependency."""

import logging
from collections.abc import Callable, Iterator
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
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from app.config import PROJECT_ROOT, get_settings
from app.dberrors import classify

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
T = TypeVar("T")
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
        connect_args: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        }
        if statement_timeout_ms:
            connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
            connect_args=connect_args,
        )
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


class Database:
    """Runs a piece of sync database work in a worker thread, with a session of its own.

    For `async def` routes: one thread hop for all their database work, instead of one per
    sync dependency, and the session never touches the event loop.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(self, work: Callable[[Session], T]) -> T:
        def in_thread() -> T:
            session = Session(self.engine)
            try:
                return work(session)
            finally:
                close_quietly(session)

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
