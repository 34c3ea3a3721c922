"""The `borderstatus` console script."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from app.config import get_settings
from app.db import alembic_config, get_engine, migrate, schema_is_current
from app.dberrors import classify
from app.records import RecordsError
from app.seed import seed as run_seed
from app.seed import verify as run_verify

cli = typer.Typer(help="Border status service: data and server commands.", no_args_is_help=True)


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
        migrate(get_settings().database_url)
    typer.echo("database is at the latest schema")


@cli.command("seed")
def seed_command() -> None:
    """Bring the store in line with seed_data/: adds, updates and removes records."""
    settings = get_settings()
    with database_errors():
        current = schema_is_current(get_engine())
    if not current:
        typer.echo(
            "error: the database schema is not current; run `borderstatus migrate`", err=True
        )
        raise typer.Exit(1)
    try:
        with database_errors():
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
    typer.echo(
        f"seeded: {report.total} row changes" if report.total else "store already up to date"
    )


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
