import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, event, text
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import get_settings
from app.db import get_engine

NARVA_QUOTE = "Queues began to appear in Narva, waiting takes several hours"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class Store:
    """A temporary SQLite store and seed copy that the CLI reads through its settings."""

    def __init__(self, url: str, seed_dir: Path) -> None:
        self.url = url
        self.seed_dir = seed_dir

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    def migrate_and_seed(self) -> None:
        for command in ("migrate", "seed"):
            result = self.run(command)
            assert result.exit_code == 0, result.output

    def sql(self, statement: str) -> object:
        """Run one statement on the store; the first value it returns, if any."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


@pytest.fixture
def store(tmp_path: Path, seed_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SEED_DIR", str(seed_copy))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield Store(url, seed_copy)
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def break_narva_quote(seed_dir: Path) -> str:
    """Mistype one quote in the records file, as a curator might; returns the typo."""
    records = seed_dir / "records.yaml"
    original = records.read_text("utf-8")
    typo = NARVA_QUOTE.replace("takes", "took")
    assert original.count(f'text: "{NARVA_QUOTE}"') == 1
    records.write_text(original.replace(NARVA_QUOTE, typo), "utf-8")
    return typo


def test_migrate_then_seed_twice(store: Store) -> None:
    crossings = yaml.safe_load((store.seed_dir / "records.yaml").read_text("utf-8"))["crossings"]

    migrated = store.run("migrate")
    seeded = store.run("seed")
    again = store.run("seed")

    assert migrated.exit_code == 0, migrated.output
    assert "database is at the latest schema" in migrated.output
    assert seeded.exit_code == 0, seeded.output
    assert f"crossing: +{len(crossings)} ~0 -0" in seeded.output
    assert re.search(r"^seeded: \d+ row changes$", seeded.output, re.MULTILINE)
    assert again.exit_code == 0, again.output
    assert again.output == "store already up to date\n"
    assert store.sql("SELECT count(*) FROM crossing") == len(crossings)


def test_verify_passes_on_the_seeded_store(store: Store) -> None:
    store.migrate_and_seed()

    result = store.run("verify")

    assert result.exit_code == 0, result.output
    assert "every citation resolved" in result.output


def test_verify_names_the_record_and_quote_of_a_broken_quote(store: Store) -> None:
    typo = break_narva_quote(store.seed_dir)

    result = store.run("verify")

    assert result.exit_code == 1
    assert f"broken: crossing 'narva': quote {typo!r}" in result.stderr
    assert "1 broken citation(s)" in result.stderr
    assert "every citation resolved" not in result.output


def test_verify_checks_the_stored_citations_too(store: Store) -> None:
    store.migrate_and_seed()
    store.sql(
        "UPDATE citation SET quote_start = quote_start + 1"
        " WHERE record_type = 'crossing' AND record_id = 'narva' AND position = 1"
    )

    result = store.run("verify")

    assert result.exit_code == 1
    quote = re.escape(repr(NARVA_QUOTE))
    assert re.search(
        rf"crossing 'narva': citation 001_2d175952eb0183b5\.txt#\d+: quote {quote} is not in",
        result.stderr,
    )


def test_seed_refuses_a_broken_records_file_and_keeps_the_store(store: Store) -> None:
    store.migrate_and_seed()
    typo = break_narva_quote(store.seed_dir)

    result = store.run("seed")

    assert result.exit_code == 1
    assert f"error: crossing 'narva': quote {typo!r}" in result.stderr
    assert store.sql("SELECT quote FROM citation WHERE record_id = 'narva' AND position = 1") == (
        NARVA_QUOTE
    )


def test_serve_help_shows_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")

    result = CliRunner().invoke(cli, ["serve", "--help"])

    assert result.exit_code == 0
    lines = ANSI_ESCAPE.sub("", result.output).splitlines()
    for option, default in [("--host", "127.0.0.1"), ("--port", "8000"), ("--workers", "1")]:
        assert [line for line in lines if option in line and f"[default: {default}]" in line]


@pytest.mark.fault
@pytest.mark.parametrize(
    ("pragma", "message"),
    [("PRAGMA query_only = ON", "read-only"), ("PRAGMA max_page_count = {pages}", "no room left")],
)
def test_seed_on_a_read_only_or_full_database_says_so_without_a_traceback(
    store: Store, monkeypatch: pytest.MonkeyPatch, pragma: str, message: str
) -> None:
    assert store.run("migrate").exit_code == 0
    engine = create_engine(store.url)

    @event.listens_for(engine, "connect")
    def _restrict(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(pragma.format(pages=pages))

    monkeypatch.setattr("app.cli.get_engine", lambda: engine)
    try:
        result = store.run("seed")
    finally:
        engine.dispose()
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert message in result.output
    assert "Traceback" not in result.output
    assert store.sql("SELECT count(*) FROM crossing") == 0


@pytest.mark.fault
def test_commands_on_a_database_server_that_is_down_say_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/gone")
    get_settings.cache_clear()
    get_engine.cache_clear()
    for command in ("migrate", "seed"):
        result = store.run(command)
        assert result.exit_code == 1, command
        assert isinstance(result.exception, SystemExit), command
        assert "not answering" in result.output, command
