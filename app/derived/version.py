"""The data version: one row every write bumps, which every worker watches."""

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

# Where `bump_data_version` leaves the new version in `session.info`.
DATA_VERSION = "borderstatus_data_version"


def bump_data_version(session: Session) -> None:
    """Tell every worker the data changed (they poll this row); call inside the write.

    The new version is left in `session.info[DATA_VERSION]`, so the worker that wrote can
    mark it as seen once it has emptied its cache (`app.data_version.DataVersion.seen`).
    """
    version = session.execute(
        text("UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version")
    ).scalar()
    session.info[DATA_VERSION] = version


def data_version(engine: Engine) -> int | None:
    """The data version every write bumps (None before the migrations have run)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar()
