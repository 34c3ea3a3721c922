"""The schema's migrations (Alembic) and the lock hosts take turns on to prepare the store."""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.config import get_settings


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
