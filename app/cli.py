"""The `borderstatus` console script."""

import getpass
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from app import curation
from app.config import get_settings
from app.db import alembic_config, get_engine, migrate, schema_is_current, write_session
from app.payloads import SourceIn
from app.problems import ProblemError
from app.records import RecordsError
from app.schemas import SourceDetail
from app.seed import seed as run_seed
from app.seed import verify as run_verify

cli = typer.Typer(help="Border status service: data and server commands.", no_args_is_help=True)


@cli.command("migrate")
def migrate_command() -> None:
    """Run the migrations (alembic upgrade head) on DATABASE_URL."""
    migrate(get_settings().database_url)
    typer.echo("database is at the latest schema")


@cli.command("seed")
def seed_command() -> None:
    """Bring the store in line with seed_data/: adds, updates and removes records."""
    settings = get_settings()
    if not schema_is_current(get_engine()):
        typer.echo(
            "error: the database schema is not current; run `borderstatus migrate`", err=True
        )
        raise typer.Exit(1)
    try:
        report = run_seed(get_engine(), settings.seed_dir)
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


@cli.command("verify")
def verify_command() -> None:
    """Re-check every citation against the articles; exit 1 naming each broken one."""
    problems = run_verify(get_engine(), get_settings().seed_dir)
    for problem in problems:
        typer.echo(f"broken: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} broken citation(s)", err=True)
        raise typer.Exit(1)
    typer.echo("every citation resolved")


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
    write = curation.Write(curator=_cli_curator(), method="CLI", path="borderstatus ingest")
    try:
        with write_session(get_engine()) as session:
            answer = curation.add_source(session, write, article=payload)
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


@cli.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn."""
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=get_settings().log_level,
    )


@cli.command("revision", hidden=True)
def revision_command(message: Annotated[str, typer.Option("-m", help="What changes.")]) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from alembic import command

    command.revision(
        alembic_config(get_settings().database_url), message=message, autogenerate=True
    )


def main() -> None:
    cli()
