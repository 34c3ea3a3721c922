"""The `borderstatus` console script: data and server commands, and lookups for scripts.

The lookups ask the API itself, in this process (no server needed): `--json` prints the body the
`/v1` endpoint sends for the same filters, and without it the answer is a table.
"""

import asyncio
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, Literal, NoReturn, TypeVar
from urllib.parse import quote

import httpx
import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app import exports
from app.config import get_settings
from app.curation.audit import Write
from app.curation.sources import add_source
from app.db import (
    alembic_config,
    get_engine,
    migrate,
    prepare_lock,
    schema_is_current,
    write_session,
)
from app.dberrors import classify
from app.payloads import SourceIn
from app.problems import ProblemError
from app.records import RecordsError
from app.schemas import (
    CrossingStatus,
    FortificationKind,
    FortificationStatus,
    RestrictionKind,
    RestrictionStatus,
    SourceDetail,
    Traffic,
)
from app.seed import Track
from app.seed import seed as run_seed
from app.seed import verify as run_verify
from app.server import APP, uvicorn_options

T = TypeVar("T")

cli = typer.Typer(
    help="Border status service: data, server and lookup commands.", no_args_is_help=True
)


# --- data and server ------------------------------------------------------------------------


@contextmanager
def database_errors() -> Iterator[None]:
    """A database that is down, busy, read-only or full is a one-line error, not a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        state = classify(exc)
        if state is None:
            raise
        typer.echo(f"error: {state.title}. {state.detail}", err=True)
        raise typer.Exit(1) from exc


@cli.command("migrate")
def migrate_command() -> None:
    """Run the migrations (alembic upgrade head) on DATABASE_URL."""
    with database_errors():
        _migrate()
    typer.echo("database is at the latest schema")


def _migrate() -> None:
    with prepare_lock(get_engine()):
        migrate(get_settings().database_url)


@cli.command("seed")
def seed_command() -> None:
    """Bring the store in line with seed_data/: adds, updates and removes records."""
    _seed()


def _seed() -> None:
    settings = get_settings()
    engine = get_engine()
    with database_errors():
        current = schema_is_current(engine)
    if not current:
        typer.echo(
            "error: the database schema is not current; run `borderstatus migrate`", err=True
        )
        raise typer.Exit(1)
    try:
        with database_errors(), prepare_lock(engine), progress_bars() as track:
            report = run_seed(engine, settings.seed_dir, track=track)
    except RecordsError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from exc
    for table, (inserted, updated, deleted) in report.changes.items():
        if inserted or updated or deleted:
            typer.echo(f"{table}: +{inserted} ~{updated} -{deleted}")
    if report.documents:
        typer.echo(f"documents rebuilt: {report.documents}")
    for record_type, record_id in report.skipped:
        typer.echo(f"skipped {record_type} {record_id}: curated (the curators' from now on)")
    typer.echo(
        f"seeded: {report.total} row changes" if report.total else "store already up to date"
    )


@contextmanager
def progress_bars() -> Iterator[Track]:
    """A progress bar per tracked step on a terminal (stderr); nothing at all for scripts."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:

        def track(items: Sequence[T], description: str) -> Iterable[T]:
            return progress.track(items, description=description)

        yield track


@contextmanager
def working(description: str) -> Iterator[None]:
    """A spinner on a terminal (stderr) for a step that has no steps to count: storing the
    largest article takes seconds, nearly all of it in one transaction. Nothing for scripts."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(description):
        yield


@cli.command("verify")
def verify_command() -> None:
    """Re-check every citation against the articles; exit 1 naming each broken one."""
    with database_errors():
        problems = run_verify(get_engine(), get_settings().seed_dir)
    for problem in problems:
        typer.echo(f"broken: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} broken citation(s)", err=True)
        raise typer.Exit(1)
    typer.echo("every citation resolved")


HostOption = Annotated[
    str | None, typer.Option(help="Interface to bind.", show_default="HOST or 127.0.0.1")
]
PortOption = Annotated[
    int | None, typer.Option(help="Port to listen on.", show_default="PORT or 8000")
]
WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="Worker processes.", show_default="WORKERS or 1")
]


@cli.command("ingest")
def ingest_command(
    article: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The article, a UTF-8 text file.")
    ],
    title: Annotated[str, typer.Option(help="The article's title.")],
    publisher: Annotated[str | None, typer.Option(help="Who published it.")] = None,
    published: Annotated[
        str | None, typer.Option(help="When: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    published_inferred: Annotated[
        bool, typer.Option(help="The date was inferred, not printed.")
    ] = False,
    published_note: Annotated[str | None, typer.Option(help="How the date was found.")] = None,
    file: Annotated[
        str | None, typer.Option(help="The source's file name (default: the file's).")
    ] = None,
) -> None:
    """Store an article verbatim as a source, split into sentences, as POST /v1/sources does."""
    try:
        text = article.read_bytes().decode("utf-8")
        payload = SourceIn(
            file=file or article.name,
            title=title,
            publisher=publisher,
            published=published,
            published_inferred=published_inferred,
            published_note=published_note,
            text=text,
        )
    except UnicodeDecodeError as exc:
        typer.echo(f"error: {article.name} is not UTF-8 text: {exc}", err=True)
        raise typer.Exit(1) from exc
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            typer.echo(f"error: {where}: {err['msg']}", err=True)
        raise typer.Exit(1) from exc
    write = Write(curator=_cli_curator(), method="CLI", path="borderstatus ingest")
    try:
        with working(f"storing {payload.file}"), write_session(get_engine()) as session:
            answer = add_source(session, write, article=payload)
            session.commit()
    except ProblemError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from exc
    stored = SourceDetail.model_validate_json(answer.body)
    typer.echo(f"stored {stored.file}: sha256 {stored.sha256}, {stored.sentence_count} sentences")
    for s in stored.sentences:
        typer.echo(f"  #{s.sentence_index} [{s.kind}] {s.text}")


def _cli_curator() -> str:
    """Who the audit log says ran the command."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (OSError, KeyError):
        return "cli"


@cli.command("export")
def export_command(
    format_: Annotated[
        Literal["ndjson", "csv"],
        typer.Option(
            "--format",
            help="ndjson: a JSON object per line, with its type; csv: one kind of record "
            "(--type), a row per citation.",
        ),
    ] = "ndjson",
    type_: Annotated[
        exports.ExportType | None,
        typer.Option(
            "--type", help="Only this kind of record (CSV needs one).", show_default="all"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write to this file, put in place once complete.",
            show_default="standard output",
        ),
    ] = None,
) -> None:
    """Write every record as GET /v1/export.ndjson does, or one kind as its list's CSV."""
    if format_ == "csv" and type_ is None:
        _fail("a CSV holds one kind of record: give --type, e.g. --type crossings", 2)
    engine = get_engine()
    kinds = [exports.KINDS[type_]] if type_ else list(exports.KINDS.values())
    with database_errors():
        if not schema_is_current(engine):
            _fail("the database schema is not current; run `borderstatus migrate`", 1)
        if format_ == "csv":
            chunks = exports.csv_chunks(kinds[0].table, kinds[0].batches(engine))
        else:
            chunks = exports.ndjson_chunks(engine, kinds)
        with export_progress(engine, kinds) as advance, _destination(output) as out:
            for chunk in chunks:
                out.write(chunk.data)
                advance(chunk)


@contextmanager
def export_progress(
    engine: Any, kinds: Sequence[exports.ExportKind]
) -> Iterator[Callable[[exports.Chunk], None]]:
    """A bar per kind of record on a terminal (stderr), counting records; nothing for scripts."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _chunk: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {
            k.name: progress.add_task(k.name, total=k.count(engine)) for k in kinds
        }
        yield lambda chunk: progress.advance(tasks[chunk.kind], chunk.records)


@contextmanager
def _destination(output: Path | None) -> Iterator[IO[bytes]]:
    """Standard output, or a file that appears under its name only once it is complete."""
    if output is None:
        stdout = sys.stdout.buffer
        try:
            yield stdout
            stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): not an error of the export's.
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
            raise typer.Exit(1) from None
        return
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        with partial.open("xb") as out:
            yield out
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@cli.command("serve")
def serve_command(
    host: HostOption = None, port: PortOption = None, workers: WorkersOption = None
) -> None:
    """Serve the API with uvicorn."""
    _serve(host, port, workers)


def _serve(host: str | None, port: int | None, workers: int | None) -> None:
    settings = get_settings()
    try:
        settings.curator_token_hashes()
    except (ValueError, OSError) as exc:
        # Said once, before uvicorn starts: each worker would otherwise fail with a traceback.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    options = uvicorn_options(settings, host=host, port=port, workers=workers)
    uvicorn.run(APP, **options)


@cli.command("start")
def start_command(
    host: HostOption = None,
    port: PortOption = None,
    workers: WorkersOption = None,
    seed: Annotated[
        bool | None,
        typer.Option(
            "--seed/--no-seed",
            help="Bring the store in line with seed_data/ first.",
            show_default="SEED_ON_START or true",
        ),
    ] = None,
) -> None:
    """Migrate, seed (unless --no-seed), then serve: what the container runs."""
    migrate_command()
    if get_settings().seed_on_start if seed is None else seed:
        _seed()
    _serve(host, port, workers)


@cli.command("healthcheck")
def healthcheck_command(
    url: Annotated[
        str | None,
        typer.Option(help="What to ask.", show_default="http://127.0.0.1:PORT/healthz"),
    ] = None,
) -> None:
    """Exit 0 when the local server answers /healthz with 200, 1 otherwise."""
    target = url or f"http://127.0.0.1:{get_settings().port}/healthz"
    try:
        status = httpx.get(target, timeout=2).status_code
    except httpx.HTTPError as exc:
        typer.echo(f"unhealthy: {target}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if status != 200:
        typer.echo(f"unhealthy: {target} answered {status}", err=True)
        raise typer.Exit(1)


@cli.command("openapi")
def openapi_command() -> None:
    """Print the OpenAPI description the running service serves at /openapi.json."""
    from app.main import create_app

    typer.echo(openapi_json(create_app().openapi()), nl=False)


def openapi_json(schema: Mapping[str, Any]) -> str:
    """The committed form of openapi.json: indented, keys in the order the app gives them."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@cli.command("revision", hidden=True)
def revision_command(message: Annotated[str, typer.Option("-m", help="What changes.")]) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from alembic import command

    command.revision(
        alembic_config(get_settings().database_url), message=message, autogenerate=True
    )


# --- lookups --------------------------------------------------------------------------------

CountryOption = Annotated[
    str | None,
    typer.Option(help="ISO 3166-1 alpha-2 code, either side of a border (e.g. LV, RU)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(help="YYYY, YYYY-MM or YYYY-MM-DD: as things stood at the end of it."),
]
QueryOption = Annotated[str | None, typer.Option("--q", "-q", help="Words to look for.")]
LimitOption = Annotated[int, typer.Option(min=1, max=500, help="At most this many records.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead of a table.")
]


def _lookup(
    path: str, params: Mapping[str, Any], *, as_json: bool, show: Callable[[Any], None]
) -> None:
    """Ask the API itself, in this process, for `path`: the same answer a client gets.

    Bad input exits 2 with the API's own message; a record that isn't there exits 1.
    """
    engine = get_engine()
    try:
        if not schema_is_current(engine):
            _fail("the database schema is not current; run `borderstatus migrate`", 1)
    except OperationalError as exc:
        _fail(f"cannot read the database: {exc.orig}", 1)
    query = {k: v for k, v in params.items() if v is not None}
    response = asyncio.run(_get(path, query))
    if response.status_code != 200:
        problem = response.json()
        _fail(problem.get("detail") or problem["title"], 2 if response.status_code == 422 else 1)
    if as_json:
        typer.echo(response.text)
    else:
        show(response.json())


async def _get(path: str, params: Mapping[str, Any]) -> httpx.Response:
    from app.main import create_app

    app = create_app(engine=get_engine())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://borderstatus") as client:
        return await client.get(path, params=params)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@cli.command("crossings")
def crossings_command(
    country: CountryOption = None,
    neighbour: Annotated[str | None, typer.Option(help="The non-NATO side: RU or BY.")] = None,
    status: Annotated[CrossingStatus | None, typer.Option(help="Status (on --as-of).")] = None,
    traffic: Annotated[Traffic | None, typer.Option(help="Allowed traffic.")] = None,
    q: QueryOption = None,
    as_of: AsOfOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Border checkpoints: status, since when, traffic (GET /v1/crossings)."""
    params = {
        "country": country,
        "neighbour": neighbour,
        "status": status,
        "traffic": traffic,
        "q": q,
        "as_of": as_of,
        "limit": limit,
    }
    _lookup("/v1/crossings", params, as_json=as_json, show=_show_crossings)


@cli.command("restrictions")
def restrictions_command(
    country: CountryOption = None,
    kind: Annotated[RestrictionKind | None, typer.Option(help="What the measure is on.")] = None,
    status: Annotated[RestrictionStatus | None, typer.Option(help="Status (on --as-of).")] = None,
    q: QueryOption = None,
    as_of: AsOfOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Measures on people, vehicles, goods, visas and transit (GET /v1/restrictions)."""
    params = {
        "country": country,
        "kind": kind,
        "status": status,
        "q": q,
        "as_of": as_of,
        "limit": limit,
    }
    _lookup("/v1/restrictions", params, as_json=as_json, show=_show_restrictions)


@cli.command("fortifications")
def fortifications_command(
    country: CountryOption = None,
    kind: Annotated[FortificationKind | None, typer.Option(help="What is built.")] = None,
    status: Annotated[FortificationStatus | None, typer.Option(help="Project status.")] = None,
    q: QueryOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Fences, bunkers, minefields and surveillance projects (GET /v1/fortifications)."""
    params = {"country": country, "kind": kind, "status": status, "q": q, "limit": limit}
    _lookup("/v1/fortifications", params, as_json=as_json, show=_show_fortifications)


@cli.command("borders")
def borders_command(country: CountryOption = None, as_json: JsonOption = False) -> None:
    """Borders with their status, crossing counts and facts (GET /v1/borders)."""
    _lookup("/v1/borders", {"country": country}, as_json=as_json, show=_show_borders)


@cli.command("conflicts")
def conflicts_command(limit: LimitOption = 100, as_json: JsonOption = False) -> None:
    """Where sources disagree: each claim, the preferred one and why (GET /v1/conflicts)."""
    _lookup("/v1/conflicts", {"limit": limit}, as_json=as_json, show=_show_conflicts)


@cli.command("cite")
def cite_command(
    file: Annotated[str, typer.Argument(help="The article's file name.")],
    index: Annotated[int, typer.Argument(min=0, help="0-based sentence index.")],
    as_json: JsonOption = False,
) -> None:
    """A sentence of an article and every record citing it (GET /v1/sources/FILE/sentences/N)."""
    path = f"/v1/sources/{quote(file, safe='')}/sentences/{index}"
    _lookup(path, {}, as_json=as_json, show=_show_sentence)


# --- tables ---------------------------------------------------------------------------------


def _console() -> Console:
    return Console(highlight=False)


# Columns of prose get room first; codes, ids, statuses and dates fold only when they must.
PROSE = {"summary", "facts", "other claims", "why", "quote"}


def _table(*columns: str) -> Table:
    table = Table(header_style="bold")
    for column in columns:
        if column in PROSE:
            table.add_column(column, overflow="fold", ratio=1)
        else:
            table.add_column(column, overflow="fold")
    return table


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def _since(value: str | None, inferred: bool) -> str:
    return f"{value}~" if value and inferred else _text(value)


def _footer(console: Console, page: dict[str, Any]) -> None:
    meta = page["meta"]
    if any(_inferred(record) for record in page["data"]):
        console.print("~ inferred from the article's wording, not stated as a date.")
    shown = len(page["data"])
    if meta["total"] > shown:
        console.print(f"{shown} of {meta['total']} shown; raise --limit for more.")


def _inferred(record: dict[str, Any]) -> bool:
    return any(record.get(f"{key}_inferred") for key in ("status_since", "since", "completion"))


def _show_crossings(page: dict[str, Any]) -> None:
    console = _console()
    meta = page["meta"]
    table = _table("id", "crossing", "border", "status", "since", "traffic", "sources")
    for c in page["data"]:
        name = c["name"] + (f" / {c['counterpart']}" if c["counterpart"] else "")
        table.add_row(
            c["id"],
            _text(name),
            f"{c['country']}-{c['neighbour']}",
            c["status"],
            _since(c["status_since"], c["status_since_inferred"]),
            _text(c["traffic"]),
            str(len(c["provenance"])),
        )
    if meta.get("as_of"):
        console.print(f"As of {meta['as_of']}:")
    if page["data"]:
        console.print(table)
    for note in meta.get("border_statuses", []):
        since = f" since {note['status_since']}" if note["status_since"] else ""
        console.print(f"Border {note['border_id']}: {note['status']}{since}.")
    if meta.get("note"):
        console.print(_text(meta["note"]))
    elif not page["data"]:
        console.print("No crossing matches.")
    _footer(console, page)


def _show_restrictions(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("id", "kind", "countries", "status", "dates", "summary")
    for r in page["data"]:
        dates = _since(r["since"], r["since_inferred"])
        table.add_row(
            r["id"],
            r["kind"],
            _text(r["countries"]),
            r["status"],
            f"{dates}-{_text(r['until'])}" if r["until"] else dates,
            _text(r["summary"]),
        )
    if page["meta"].get("as_of"):
        console.print(f"As of {page['meta']['as_of']}:")
    console.print(table if page["data"] else "No restriction matches.")
    _footer(console, page)


def _show_fortifications(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("id", "where", "kind", "status", "figures", "summary")
    for f in page["data"]:
        where = _text(f["countries"]) + (f" / {f['neighbour']}" if f["neighbour"] else "")
        figures = [
            *([f"{f['length_km']} km"] if f["length_km"] is not None else []),
            *([f"{f['count']} units"] if f["count"] is not None else []),
            *([f"EUR {f['budget_eur']:,.0f}"] if f["budget_eur"] is not None else []),
            *(
                [f"done {_since(f['completion'], f['completion_inferred'])}"]
                if f["completion"]
                else []
            ),
        ]
        table.add_row(
            f["id"], where, f["kind"], f["status"], _text("\n".join(figures)), _text(f["summary"])
        )
    console.print(table if page["data"] else "No fortification matches.")
    _footer(console, page)


def _show_borders(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("border", "status", "since", "open", "closed", "restricted", "facts")
    for b in page["data"]:
        counts = b["crossing_counts"]
        facts = [
            f"{f['topic']}: {f['preferred_value']}"
            + (f" (disputed, {len(f['claims'])} claims)" if f["disputed"] else "")
            for f in b["facts"]
        ]
        table.add_row(
            b["id"],
            b["status"],
            _since(b["status_since"], b["status_since_inferred"]),
            str(counts["open"]),
            str(counts["closed"]),
            str(counts["restricted"]),
            _text("\n".join(facts)),
        )
    console.print(table if page["data"] else "No border matches.")
    _footer(console, page)


def _show_conflicts(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("fact", "preferred", "other claims", "why")
    for f in page["data"]:
        others = [c["value"] for c in f["claims"] if c["value"] != f["preferred_value"]]
        table.add_row(
            f["id"],
            _text(f["preferred_value"]),
            _text(others),
            _text(f["preferred_reason"]),
        )
    console.print(table if page["data"] else "The sources agree everywhere.")
    _footer(console, page)


def _show_sentence(sentence: dict[str, Any]) -> None:
    console = _console()
    console.print(
        f"{sentence['source_file']} #{sentence['sentence_index']} ({sentence['kind']}, "
        f"characters {sentence['char_start']}-{sentence['char_end']}):"
    )
    console.print(_text(sentence["text"]))
    if not sentence["cited_by"]:
        console.print("No record cites it.")
        return
    table = _table("record", "id", "quote")
    for c in sentence["cited_by"]:
        table.add_row(c["record_type"], c["record_id"], _text(c["quote"]))
    console.print(table)


def main() -> None:
    cli()
