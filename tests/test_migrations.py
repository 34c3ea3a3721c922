from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.db.engine import make_engine
from app.db.migrations import alembic_config, migrate

MODEL_TABLES = set(SQLModel.metadata.tables)
# As in migrations/env.py: full-text search objects are made per dialect and have no model.
FTS_NAMES = ("search_fts", "ix_search_document_fts")
# Trigram indexes, made on PostgreSQL by the migrations (an expression index has no model).
TRIGRAM_SUFFIX = "_trgm"


def include_name(name: str | None, _type: str, _parents: dict[str, Any]) -> bool:
    return not (name or "").startswith(FTS_NAMES) and not (name or "").endswith(TRIGRAM_SUFFIX)


def schema_diff(engine: Engine) -> list[Any]:
    """What `alembic revision --autogenerate` would put in a new migration."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_migrations_build_exactly_the_models(fresh_engine: Engine) -> None:
    assert schema_diff(fresh_engine) == []


def test_downgrade_to_base_then_upgrade_to_head(fresh_engine: Engine) -> None:
    url = url_of(fresh_engine)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()

    command.downgrade(alembic_config(url), "base")

    assert set(inspect(fresh_engine).get_table_names()) == {"alembic_version"}
    missing = {diff[1].name for diff in schema_diff(fresh_engine) if diff[0] == "add_table"}
    assert missing == MODEL_TABLES

    migrate(url)

    assert set(inspect(fresh_engine).get_table_names()) >= MODEL_TABLES
    assert schema_diff(fresh_engine) == []
    with fresh_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_foreign_keys_are_enforced(fresh_engine: Engine) -> None:
    with fresh_engine.begin() as conn:
        conn.execute(text("INSERT INTO country (code, name, role) VALUES ('NO', 'Norway', 'nato')"))

    with pytest.raises(IntegrityError), fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO border (id, country, neighbour, status, status_since_inferred)"
                " VALUES ('NO-XX', 'NO', 'XX', 'open', false)"
            )
        )


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}", busy_timeout_ms=1234, pool_size=2)
    try:
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
                assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
                assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 1234
    finally:
        engine.dispose()


def test_a_store_migrated_with_its_data_gets_the_status_periods_of_its_records(
    seeded_fresh_engine: Engine,
) -> None:
    """`as_of` with a status reads the periods: a store upgraded past 0007 must have them
    before any write or seed runs."""

    def periods() -> list[Any]:
        with seeded_fresh_engine.connect() as conn:
            return list(conn.execute(text("SELECT * FROM status_period ORDER BY 1, 2, 3")))

    seeded = periods()
    assert {row.record_type for row in seeded} == {"crossing", "restriction", "fortification"}
    url = url_of(seeded_fresh_engine)
    command.downgrade(alembic_config(url), "0006")
    assert "status_period" not in inspect(seeded_fresh_engine).get_table_names()

    migrate(url)

    assert periods() == seeded


def test_a_store_migrated_past_0008_serves_what_each_status_rests_on(
    seeded_fresh_engine: Engine,
) -> None:
    """A store seeded under the earlier rule has documents without `status_basis`, and
    periods that extrapolate before the evidence: the upgrade rebuilds both."""
    url = url_of(seeded_fresh_engine)
    with seeded_fresh_engine.begin() as conn:
        built: dict[str, str] = dict(conn.execute(text("SELECT id, doc FROM crossing")).all())
        periods = conn.execute(text("SELECT count(*) FROM status_period")).scalar()
        # As the earlier rule left them: documents without the new fields, and no periods.
        conn.execute(text("UPDATE crossing SET doc = '{}'"))
        conn.execute(text("DELETE FROM status_period"))
    command.downgrade(alembic_config(url), "0007")

    migrate(url)

    with seeded_fresh_engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, doc FROM crossing")).all()) == built
        assert conn.execute(text("SELECT count(*) FROM status_period")).scalar() == periods
    assert all('"status_basis":' in doc for doc in built.values())
