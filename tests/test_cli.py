import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
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


ARTICLE_TEXT = "A test article\n\nThe test checkpoint closed on Monday, the ministry said.\n"


def test_ingest_stores_an_article_and_prints_what_it_stored(store: Store, tmp_path: Path) -> None:
    store.migrate_and_seed()
    article = tmp_path / "900_test_article.txt"
    article.write_bytes(ARTICLE_TEXT.encode())

    result = store.run(
        "ingest",
        str(article),
        "--title",
        "A test",
        "--publisher",
        "Test Wire",
        "--published",
        "2026-01-12",
    )

    digest = hashlib.sha256(ARTICLE_TEXT.encode()).hexdigest()
    assert result.exit_code == 0, result.output
    assert f"stored 900_test_article.txt: sha256 {digest}, 2 sentences" in result.output
    assert "#1 [body] The test checkpoint closed on Monday, the ministry said." in result.output
    assert store.sql("SELECT text FROM source WHERE file = '900_test_article.txt'") == ARTICLE_TEXT
    assert (
        store.sql("SELECT count(*) FROM sentence WHERE source_file = '900_test_article.txt'") == 2
    )
    assert str(store.sql("SELECT curator FROM audit_entry")).startswith("cli")
    assert store.sql("SELECT action FROM audit_entry") == "ingest"

    again = store.run("ingest", str(article), "--title", "A test", "--file", "901_copy.txt")
    assert again.exit_code == 1
    assert "stored already, as '900_test_article.txt'" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--published", "yesterday"], "published"),
        (["--file", "a/b.txt"], "file"),
    ],
)
def test_ingest_refuses_bad_metadata(
    store: Store, tmp_path: Path, args: list[str], message: str
) -> None:
    store.migrate_and_seed()
    article = tmp_path / "900_test_article.txt"
    article.write_bytes(ARTICLE_TEXT.encode())

    result = store.run("ingest", str(article), "--title", "A test", *args)

    assert result.exit_code == 1
    assert f"error: {message}" in result.stderr
    assert store.sql("SELECT count(*) FROM source") == 4


def test_ingest_refuses_a_file_that_is_not_utf8(store: Store, tmp_path: Path) -> None:
    store.migrate_and_seed()
    article = tmp_path / "latin1.txt"
    article.write_bytes("Grebņeva".encode("utf-16"))

    result = store.run("ingest", str(article), "--title", "A test")

    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.stderr


def test_seed_names_the_curated_records_it_skipped(store: Store) -> None:
    store.migrate_and_seed()
    store.sql(
        "INSERT INTO audit_entry (id, at, curator, method, path, action, record_type, record_id)"
        " VALUES (1, '2026-01-01 00:00:00', 'alice', 'PATCH', '/v1/crossings/narva', 'update',"
        " 'crossing', 'narva')"
    )
    store.sql(
        "INSERT INTO curated_record (record_type, record_id, since, audit_id)"
        " VALUES ('crossing', 'narva', '2026-01-01 00:00:00', 1)"
    )

    result = store.run("seed")

    assert result.exit_code == 0, result.output
    assert "skipped crossing narva: curated" in result.output
    assert "store already up to date" in result.output
