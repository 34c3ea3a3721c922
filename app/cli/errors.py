"""The CLI's one-line errors for what goes wrong outside a command."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import SQLAlchemyError

from app.db.errors import classify


def database_state(exc: SQLAlchemyError) -> str | None:
    """What a database error says of the store ("Database unavailable. …"), when it is one
    of the states the API answers 503 for."""
    state = classify(exc)
    return f"{state.title}. {state.detail}" if state else None


@contextmanager
def database_errors() -> Iterator[None]:
    """A database that is down, busy, read-only or full is a one-line error and exit code 2,
    not a traceback."""
    try:
        yield
    except SQLAlchemyError as exc:
        state = database_state(exc)
        if state is None:
            raise
        typer.echo(f"error: {state}", err=True)
        raise typer.Exit(2) from exc
