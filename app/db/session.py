"""Sessions: one per request (`SessionDep`), one per write, and closing one quietly."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db.engine import WRITE
from app.db.errors import classify

log = logging.getLogger("borderstatus")


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, on the application's engine."""
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        close_quietly(session)


def close_quietly(session: Session) -> None:
    """Close `session`. When the database went away after the work was done, the rollback on
    close fails, and SQLAlchemy has already discarded the connection: that failure is not the
    request's (its answer may be sent already), so it is logged, not raised."""
    try:
        session.close()
    except SQLAlchemyError as exc:
        if classify(exc) is None:
            raise
        log.warning("closing a session on a lost connection: %s", f"{exc}".partition("\n")[0])


SessionDep = Annotated[Session, Depends(get_session)]


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write, its transaction begun (BEGIN IMMEDIATE on SQLite).

    The caller commits; leaving without a commit rolls the write back.
    """
    with Session(engine) as session:
        session.connection(execution_options={WRITE: True})
        yield session
