"""Sessions close cleanly when the database went away after their work was done."""

import psycopg
import pytest
from sqlalchemy import exc as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import close_quietly


def test_a_session_closing_on_a_lost_connection_is_not_an_error(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = Session(seeded_engine)
    lost = sa.OperationalError("ROLLBACK", {}, psycopg.OperationalError("server closed"))

    def close() -> None:
        raise lost

    monkeypatch.setattr(session, "close", close)
    close_quietly(session)


def test_a_session_that_fails_to_close_for_another_reason_raises(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = Session(seeded_engine)

    def close() -> None:
        raise sa.ProgrammingError("ROLLBACK", {}, Exception("a bug"))

    monkeypatch.setattr(session, "close", close)
    with pytest.raises(sa.ProgrammingError):
        close_quietly(session)
