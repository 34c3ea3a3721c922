import datetime as dt
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest
import uvicorn
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner, Result

from app import exports
from app.cli import cli
from app.config import get_settings
from app.db.engine import get_engine
from app.seed.dataset import load_dataset
from app.seed.rows import desired_rows
from tests.conftest import SEED_DIR, Databases
from tests.pgserver import free_port

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
    for option, default in [
        ("--host", "HOST or 127.0.0.1"),
        ("--port", "PORT or 8000"),
        ("--workers", "WORKERS or 1"),
    ]:
        assert [line for line in lines if option in line and f"[default: ({default})]" in line]


def test_serve_runs_uvicorn_with_the_shipped_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The served tests start the service as `serve` does: one set of uvicorn settings."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5")
    monkeypatch.setenv("HEADER_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("LIMIT_CONCURRENCY", "7")
    get_settings.cache_clear()
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    [(app, options)] = calls
    assert app == "app.main:create_app" and options["factory"] is True
    assert options["port"] == 8123
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == ["10.0.0.5"]
    assert options["http"].keywords == {"header_timeout": 3.0}
    assert options["limit_concurrency"] == 7


@pytest.mark.parametrize(
    ("tokens", "said"),
    [
        ("alice:pässwörd-0123456789abc", "CURATOR_TOKENS entry 1: character 2 of the token"),
        ("alice:short", "CURATOR_TOKENS entry 1: the token is shorter than 16 characters"),
    ],
)
def test_serve_refuses_a_token_that_can_never_match_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tokens: str, said: str
) -> None:
    monkeypatch.setenv("CURATOR_TOKENS", tokens)
    get_settings.cache_clear()
    calls: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(app))
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 2
    assert calls == [], "the server started"
    assert result.output.startswith(f"error: {said}")
    assert "Traceback" not in result.output and "pässwörd" not in result.output


# --- lookups ---------------------------------------------------------------------------------


@pytest.fixture
def lookups(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI reading the shared seeded store (SQLite, and PostgreSQL when configured)."""
    monkeypatch.setenv("DATABASE_URL", seeded_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "160")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield CliRunner()
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


SENTENCE_49 = "/v1/sources/001_2d175952eb0183b5.txt/sentences/49"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["crossings"], "/v1/crossings"),
        (["crossings", "--country", "lv"], "/v1/crossings?country=lv"),
        (["crossings", "--country", "FI"], "/v1/crossings?country=FI"),
        (["crossings", "--country", "RU", "--limit", "2"], "/v1/crossings?country=RU&limit=2"),
        (
            ["crossings", "--country", "LV", "--as-of", "2023-11"],
            "/v1/crossings?country=LV&as_of=2023-11",
        ),
        (
            ["crossings", "--status", "closed", "--as-of", "2024"],
            "/v1/crossings?status=closed&as_of=2024",
        ),
        (["crossings", "--neighbour", "BY"], "/v1/crossings?neighbour=BY"),
        (["crossings", "--traffic", "rail"], "/v1/crossings?traffic=rail"),
        (["crossings", "-q", "sturskug"], "/v1/crossings?q=sturskug"),
        (["restrictions", "--country", "NO"], "/v1/restrictions?country=NO"),
        (["restrictions", "--kind", "vehicle"], "/v1/restrictions?kind=vehicle"),
        (
            ["restrictions", "--as-of", "2022", "--status", "in_force"],
            "/v1/restrictions?as_of=2022&status=in_force",
        ),
        (["restrictions", "-q", "plates"], "/v1/restrictions?q=plates"),
        (["fortifications", "--country", "RU"], "/v1/fortifications?country=RU"),
        (["fortifications", "--status", "completed"], "/v1/fortifications?status=completed"),
        (
            ["fortifications", "--kind", "fence", "-q", "fence"],
            "/v1/fortifications?kind=fence&q=fence",
        ),
        (["borders"], "/v1/borders"),
        (["borders", "--country", "NO"], "/v1/borders?country=NO"),
        (["borders", "--as-of", "2023-11"], "/v1/borders?as_of=2023-11"),
        (["fortifications", "--as-of", "2025"], "/v1/fortifications?as_of=2025"),
        (["conflicts"], "/v1/conflicts"),
        (["conflicts", "--limit", "2"], "/v1/conflicts?limit=2"),
        (["cite", "001_2d175952eb0183b5.txt", "49"], SENTENCE_49),
    ],
)
def test_json_lookup_prints_what_the_api_answers(
    lookups: CliRunner, client: TestClient, args: list[str], path: str
) -> None:
    api = client.get(path)
    assert api.status_code == 200, api.text

    result = lookups.invoke(cli, [*args, "--json"])

    assert result.exit_code == 0, result.output
    assert result.stdout == api.text + "\n"
    assert json.loads(result.stdout) == api.json()


def test_crossings_table_lists_each_crossing_with_its_status(lookups: CliRunner) -> None:
    result = lookups.invoke(cli, ["crossings", "--country", "LV"])

    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert {"grebneva", "pededze", "terehova", "vientuli"} <= set(rows)
    assert "closed" in rows["vientuli"] and "2023-12~" in rows["vientuli"]
    assert "restricted" in rows["terehova"] and "Terehova / Burachki" in rows["terehova"]


def test_crossings_table_as_of_a_date_shows_the_status_then(lookups: CliRunner) -> None:
    result = lookups.invoke(cli, ["crossings", "--country", "LV", "--as-of", "2023-11"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("As of 2023-11-30:")
    assert "closed" not in result.stdout


def test_crossings_table_names_the_border_status_where_no_crossing_is_named(
    lookups: CliRunner,
) -> None:
    result = lookups.invoke(cli, ["crossings", "--country", "FI"])

    assert result.exit_code == 0, result.output
    assert "Border FI-RU: closed since 2023." in result.stdout
    assert "The sources name no checkpoint on this border" in result.stdout


def test_borders_table_shows_the_preferred_length_and_that_it_is_disputed(
    lookups: CliRunner,
) -> None:
    result = lookups.invoke(cli, ["borders", "--country", "NO"])

    assert result.exit_code == 0, result.output
    assert "NO-RU" in result.stdout
    assert "length_km: 195.7 (disputed, 4 claims)" in result.stdout


def test_restrictions_and_fortifications_tables_list_their_records(lookups: CliRunner) -> None:
    restrictions = lookups.invoke(cli, ["restrictions", "--country", "NO"])
    fortifications = lookups.invoke(cli, ["fortifications", "--country", "FI"])

    assert restrictions.exit_code == 0, restrictions.output
    assert "no-russian-plated-cars-ban" in restrictions.stdout
    assert fortifications.exit_code == 0, fortifications.output
    assert "fi-border-fence" in fortifications.stdout


def test_a_short_limit_says_how_many_more_there_are(lookups: CliRunner, client: TestClient) -> None:
    total = client.get("/v1/conflicts").json()["meta"]["total"]

    result = lookups.invoke(cli, ["conflicts", "--limit", "1"])

    assert result.exit_code == 0, result.output
    assert f"1 of {total} shown; raise --limit for more." in result.stdout


def test_cite_prints_the_sentence_and_every_record_citing_it(lookups: CliRunner) -> None:
    result = lookups.invoke(cli, ["cite", "001_2d175952eb0183b5.txt", "49"])

    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "The Vientuli and Pededze checkpoints will remain closed" in text
    for record in ("crossing │ vientuli", "crossing │ pededze", "border │ LV-RU"):
        assert record in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crossings", "--country", "XX"], "error: country: unknown country 'XX'; accepted"),
        (["crossings", "--neighbour", "ZZ"], "error: neighbour: unknown country 'ZZ'"),
        (["restrictions", "--as-of", "2023-13"], "error: as_of: month must be in 1..12"),
        (["crossings", "--as-of", "last year"], "error: as_of: 'last year' is not a date"),
        (["crossings", "-q", "--"], "error: q: needs at least one letter or digit"),
        (["fortifications", "--country", "atlantis"], "unknown country 'atlantis'"),
    ],
)
def test_bad_input_exits_2_with_the_apis_message(
    lookups: CliRunner, args: list[str], message: str
) -> None:
    result = lookups.invoke(cli, args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["crossings", "--status", "ajar"],
        ["restrictions", "--kind", "hats"],
        ["conflicts", "--limit", "0"],
        ["borders", "--limit", "10"],
        ["cite", "001_2d175952eb0183b5.txt", "-1"],
    ],
)
def test_an_option_out_of_range_exits_2_with_usage(lookups: CliRunner, args: list[str]) -> None:
    result = lookups.invoke(cli, args)

    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert "Traceback" not in result.output


def test_cite_of_an_unknown_sentence_exits_1(lookups: CliRunner) -> None:
    result = lookups.invoke(cli, ["cite", "001_2d175952eb0183b5.txt", "99999"])

    assert result.exit_code == 1
    assert "error: No sentence with id '001_2d175952eb0183b5.txt#99999'." in result.stderr


def test_a_lookup_on_an_unmigrated_store_says_to_migrate(store: Store) -> None:
    result = store.run("crossings")

    assert result.exit_code == 1
    assert "run `borderstatus migrate`" in result.stderr
    assert "Traceback" not in result.output


# --- progress and serving --------------------------------------------------------------------


def test_seed_on_a_terminal_shows_a_progress_bar_over_the_tables(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.run("migrate").exit_code == 0
    monkeypatch.setenv("FORCE_COLOR", "1")

    result = store.run("seed")

    assert result.exit_code == 0, result.output
    tables = len(desired_rows(load_dataset(store.seed_dir)))
    assert "tables" in result.stderr
    assert f"{tables}/{tables}" in ANSI_ESCAPE.sub("", result.stderr)
    assert re.search(r"^seeded: \d+ row changes$", result.stdout, re.MULTILINE)


def test_healthcheck_fails_when_nothing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("PORT", str(port))
    get_settings.cache_clear()

    result = CliRunner().invoke(cli, ["healthcheck"])
    get_settings.cache_clear()

    assert result.exit_code == 1
    assert f"unhealthy: http://127.0.0.1:{port}/healthz" in result.stderr


def test_hosts_preparing_one_postgresql_store_at_once_take_turns(
    backend: str, databases: Databases
) -> None:
    if backend != "postgresql":
        pytest.skip("several hosts share a store only on PostgreSQL")
    url = databases.new_url()
    env = {**os.environ, "DATABASE_URL": url}
    command = [str(Path(sys.executable).with_name("borderstatus"))]

    for step in ("migrate", "seed"):
        started = [
            subprocess.Popen([*command, step], env=env, stdout=PIPE, stderr=PIPE, text=True)
            for _ in range(3)
        ]
        finished = [(p.communicate(timeout=120)[1], p.returncode) for p in started]
        assert all(code == 0 for _, code in finished), finished

    records = yaml.safe_load((SEED_DIR / "records.yaml").read_text("utf-8"))
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crossing")).scalar() == len(
            records["crossings"]
        )
    engine.dispose()


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

    assert result.stderr == "", "nothing on stderr when piped"

    again = store.run("ingest", str(article), "--title", "A test", "--file", "901_copy.txt")
    assert again.exit_code == 1
    assert "stored already, as '900_test_article.txt'" in again.stderr


def test_ingest_on_a_terminal_shows_what_it_is_storing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.migrate_and_seed()
    article = tmp_path / "900_test_article.txt"
    article.write_bytes(ARTICLE_TEXT.encode())
    monkeypatch.setenv("FORCE_COLOR", "1")

    result = store.run("ingest", str(article), "--title", "A test")

    assert result.exit_code == 0, result.output
    assert "storing 900_test_article.txt" in ANSI_ESCAPE.sub("", result.stderr)
    assert "stored 900_test_article.txt" in result.stdout


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

    monkeypatch.setattr("app.cli.store.get_engine", lambda: engine)
    try:
        result = store.run("seed")
    finally:
        engine.dispose()
    assert result.exit_code == 2
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
    for command in ("migrate", "seed", "crossings", "export", "cite x.txt 0"):
        result = store.run(*command.split())
        assert result.exit_code == 2, command
        assert isinstance(result.exception, SystemExit), command
        assert result.output.count("\n") == 1 and "not answering" in result.output, command


# --- export ----------------------------------------------------------------------------------


def test_export_prints_what_the_endpoint_streams(lookups: CliRunner, client: TestClient) -> None:
    api = client.get("/v1/export.ndjson")
    assert api.status_code == 200

    result = lookups.invoke(cli, ["export"])

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == api.content
    assert result.stderr == "", "nothing but the export when piped"


def test_export_of_one_kind_as_csv_to_a_file_is_its_lists_csv(
    lookups: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    target = tmp_path / "crossings.csv"

    result = lookups.invoke(
        cli, ["export", "--format", "csv", "--type", "crossings", "-o", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert target.read_bytes() == client.get("/v1/crossings?format=csv").content
    assert [p.name for p in tmp_path.iterdir()] == ["crossings.csv"]


def test_export_as_csv_needs_a_type(lookups: CliRunner) -> None:
    result = lookups.invoke(cli, ["export", "--format", "csv"])

    assert result.exit_code == 2
    assert "give --type" in result.stderr
    assert result.stdout == ""


def test_export_on_a_terminal_shows_a_bar_per_kind(
    lookups: CliRunner, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    target = tmp_path / "all.ndjson"

    result = lookups.invoke(cli, ["export", "-o", str(target)])

    assert result.exit_code == 0, result.output
    shown = ANSI_ESCAPE.sub("", result.stderr)
    kinds: dict[str, int] = {}
    for line in target.read_text("utf-8").splitlines():
        kind = json.loads(line)["type"]
        kinds[kind] = kinds.get(kind, 0) + 1
    crossings, events = kinds["crossing"], kinds["event"]
    assert re.search(rf"crossings\s.*\s{crossings}/{crossings}\s", shown), shown[-2000:]
    assert re.search(rf"events\s.*\s{events}/{events}\s", shown)


def test_an_export_that_fails_leaves_the_file_as_it_was(
    lookups: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "all.ndjson"
    target.write_text("yesterday's export\n", "utf-8")
    lines = exports.ndjson_lines
    calls: list[str] = []

    def failing(line_type: str, records: Any) -> bytes:
        calls.append(line_type)
        if len(calls) == 3:
            raise OperationalError("SELECT", {}, Exception("the connection was lost"))
        return lines(line_type, records)

    monkeypatch.setattr(exports, "ndjson_lines", failing)

    result = lookups.invoke(cli, ["export", "-o", str(target)])

    assert result.exit_code == 2
    assert "error: Database unavailable" in result.stderr
    assert target.read_text("utf-8") == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.ndjson"]


def test_export_on_an_unmigrated_store_says_to_migrate(store: Store, tmp_path: Path) -> None:
    result = store.run("export", "-o", str(tmp_path / "all.ndjson"))

    assert result.exit_code == 1
    assert "run `borderstatus migrate`" in result.stderr
    assert not (tmp_path / "all.ndjson").exists()


def test_export_as_of_writes_the_records_as_they_stood_then(
    lookups: CliRunner, client: TestClient
) -> None:
    result = lookups.invoke(cli, ["export", "--as-of", "2023-11"])

    assert result.exit_code == 0, result.output
    assert result.stdout.encode() == client.get("/v1/export.ndjson?as_of=2023-11").content
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(e["date"] <= "2023-11-30" for e in lines if e["type"] == "event")
    crossings = {c["id"]: c["status_basis"] for c in lines if c["type"] == "crossing"}
    assert crossings["vientuli"] == "implied" and crossings["narva"] == "none"


def test_export_as_of_a_date_after_today_is_refused_naming_today(lookups: CliRunner) -> None:
    today = dt.datetime.now(dt.UTC).date().isoformat()

    result = lookups.invoke(cli, ["export", "--as-of", "9999"])

    assert result.exit_code == 2
    assert "--as-of" in result.output and today in result.output
    assert "Traceback" not in result.output


# --- what a person at a terminal reads -----------------------------------------------------


def console(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console script as a shell runs it, 80 columns wide."""
    script = Path(sys.executable).with_name("borderstatus")
    return subprocess.run(
        [str(script), *args],
        env={**os.environ, "COLUMNS": "80", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["export", "-o", "/nonexistent/dir/x.ndjson"],
        ["export", "--format", "csv", "--type", "crossings", "-o", "/proc/x.csv"],
        ["ingest", "/nonexistent/article.txt", "--title", "x"],
    ],
    ids=["no-directory", "unwritable", "no-article"],
)
def test_a_path_that_cant_be_used_is_one_line_and_exit_2(
    seeded_engine: Engine, args: list[str]
) -> None:
    done = console(*args, env={"DATABASE_URL": seeded_engine.url.render_as_string(False)})
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and ".part" not in line
    assert line.startswith(("error: cannot write /", "error: cannot read /")), line


@pytest.mark.fault
@pytest.mark.parametrize(
    "args",
    [["crossings"], ["export"], ["seed"], ["ingest", __file__, "--title", "x"]],
    ids=["lookup", "export", "seed", "ingest"],
)
def test_an_unreachable_database_is_one_line_and_exit_2(args: list[str]) -> None:
    gone = {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"}
    done = console(*args, env=gone)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: Database unavailable. The database is not answering; try again shortly."
    ]


@pytest.mark.parametrize(
    "command", ["crossings", "restrictions", "fortifications", "export", "ingest", "serve"]
)
def test_help_reads_as_a_person_would_write_it(command: str) -> None:
    """Placeholders name what goes there, no option is `--q`, and each choice is listed as
    words that are not broken across lines."""
    done = console(command, "--help")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert not re.search(r"<(str|int|bool|text|int range)>", text), text
    assert "--q " not in text
    flat = " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())
    for words in re.findall(r": ((?:\w+, )+\w+ or \w+)\.", flat):
        assert all(len(word) > 1 for word in re.split(r", | or ", words)), words
    if command == "crossings":
        assert "open, closed, restricted or unknown" in flat
        assert "--query -q WORDS" in flat
