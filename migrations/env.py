"""Alembic environment: the database URL comes from the settings unless a caller passes one."""

from typing import Any

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.config import get_settings
from app.db.engine import make_engine

config = context.config
target_metadata = SQLModel.metadata

# Full-text search objects are made per dialect by the migrations and have no model.
FTS_NAMES = ("search_fts", "ix_search_document_fts")
# Trigram indexes, made on PostgreSQL by the migrations (an expression index has no model).
TRIGRAM_SUFFIX = "_trgm"


def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    return not (name or "").startswith(FTS_NAMES) and not (name or "").endswith(TRIGRAM_SUFFIX)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
