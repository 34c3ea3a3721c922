"""Store commands: migrate, seed, verify, ingest an article, export."""

import getpass
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, Literal, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from app import exports
from app.cli.errors import database_errors
from app.cli.lookups import AsOfOption, one_of
from app.cli.tables import fail
from app.config import get_settings
from app.curation.audit import Write
from app.curation.sources import add_source
from app.dated import today
from app.dates import as_of_date
from app.db.engine import get_engine
from app.db.migrations import migrate, prepare_lock, schema_is_current
from app.db.session import write_session
from app.payloads import SourceIn
from app.problems import ProblemError
from app.schemas import (
    SourceDetail,
)
from app.seed.dataset import RecordsError
from app.seed.sync import Track
from app.seed.sync import seed as run_seed
from app.seed.verify import verify as run_verify

T = TypeVar("T")

commands = typer.Typer()


@commands.command("migrate")
def migrate_command() -> None:
    """Run the migrations (alembic upgrade head) on DATABASE_URL."""
    with database_errors():
        _migrate()
    typer.echo("database is at the latest schema")


def _migrate() -> None:
    with prepare_lock(get_engine()):
        migrate(get_settings().database_url)


@commands.command("seed")
def seed_command() -> None:
    """Bring the store in line with seed_data/: adds, updates and removes records."""
    seed_store()


def seed_store() -> None:
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


def _columns() -> tuple[ProgressColumn, ...]:
    """A progress bar's columns: what it counts, the bar, how many of how many, how long."""
    return TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()


@contextmanager
def progress_bars() -> Iterator[Track]:
    """A progress bar per tracked step on a terminal (stderr); nothing at all for scripts."""
    console = Console(stderr=True)
    with Progress(
        *_columns(),
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


@commands.command("verify")
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


@commands.command("ingest")
def ingest_command(
    article: Annotated[
        Path,
        typer.Argument(help="The article, a UTF-8 text file."),
    ],
    title: Annotated[str, typer.Option("--title", metavar="TITLE", help="The article's title.")],
    publisher: Annotated[
        str | None, typer.Option("--publisher", metavar="NAME", help="Who published it.")
    ] = None,
    published: Annotated[
        str | None,
        typer.Option("--published", metavar="DATE", help="When: YYYY, YYYY-MM or YYYY-MM-DD."),
    ] = None,
    published_inferred: Annotated[
        bool, typer.Option("--published-inferred", help="The date was inferred, not printed.")
    ] = False,
    published_note: Annotated[
        str | None, typer.Option("--published-note", metavar="TEXT", help="How the date was found.")
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file", metavar="NAME", help="The source's file name (default: the file's)."
        ),
    ] = None,
) -> None:
    """Store an article verbatim as a source, split into sentences, as POST /v1/sources does."""
    try:
        raw = article.read_bytes()
    except OSError as exc:
        fail(f"cannot read {article}: {exc.strerror or exc}", 2)
    try:
        text = raw.decode("utf-8")
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


@commands.command("export")
def export_command(
    format_: Annotated[
        Literal["ndjson", "csv"],
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="ndjson (a JSON object per line, with its type) or csv (one kind of record, "
            "--type, a row per citation).",
        ),
    ] = "ndjson",
    type_: Annotated[
        exports.ExportType | None,
        typer.Option(
            "--type",
            metavar="KIND",
            help=f"Only this kind of record (CSV needs one): {one_of(exports.ExportType)}.",
            show_default="all",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            metavar="FILE",
            help="Write to this file, put in place once complete.",
            show_default="standard output",
        ),
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Write every record as GET /v1/export.ndjson does, or one kind as its list's CSV."""
    try:
        on = as_of_date(as_of, today()) if as_of is not None else None
    except ValueError as exc:
        fail(f"--as-of: {exc}", 2)
    if format_ == "csv" and type_ is None:
        fail("a CSV holds one kind of record: give --type, e.g. --type crossings", 2)
    engine = get_engine()
    kinds = [exports.KINDS[type_]] if type_ else list(exports.KINDS.values())
    with database_errors():
        if not schema_is_current(engine):
            fail("the database schema is not current; run `borderstatus migrate`", 1)
        if format_ == "csv":
            chunks = exports.csv_chunks(kinds[0].table, kinds[0].batches(engine, on))
        else:
            chunks = exports.ndjson_chunks(engine, kinds, on)
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
        *_columns(),
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
    if not output.parent.is_dir():
        fail(f"cannot write {output}: there is no directory {output.parent}", 2)
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        with partial.open("xb") as out:
            yield out
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {output}: {exc.strerror or exc}", 2)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
