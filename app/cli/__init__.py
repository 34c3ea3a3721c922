"""The `borderstatus` console script: store and server commands, and lookups for scripts."""

import sys

import typer
from sqlalchemy.exc import SQLAlchemyError

from app.cli import lookups, server, store
from app.cli.errors import database_state

cli = typer.Typer(
    help="Border status service: data, server and lookup commands.", no_args_is_help=True
)
# In the order `borderstatus --help` lists them.
for group in (store.commands, server.commands, lookups.commands):
    cli.registered_commands += group.registered_commands


def main() -> None:
    """The CLI; whatever goes wrong outside it (a path it can't use, a database it can't
    reach) is one line on stderr and exit code 2, never a traceback."""
    try:
        cli()
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except SQLAlchemyError as exc:
        reason = database_state(exc) or f"{exc}".partition("\n")[0]
        typer.echo(f"error: {reason}", err=True)
        sys.exit(2)
