"""What a database failure means to a client: a 503 it can retry, or a bug (None: a 500).

The database being down, unreachable, too slow, read-only or full is the service's state, not
the request's fault, so it is a 503 with Retry-After and a plain message; the exception's text
(which can hold SQL, parameters or paths) never reaches the client.
"""

import sqlite3
from dataclasses import dataclass

from sqlalchemy import exc as sa

# SQLite result codes (sqlite3.Error.sqlite_errorname), base name before any "_" extension.
SQLITE_READ_ONLY = "SQLITE_READONLY"
SQLITE_FULL = "SQLITE_FULL"
SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_NOTADB", "SQLITE_CORRUPT")
SQLITE_INTERRUPTED = "SQLITE_INTERRUPT"

# PostgreSQL SQLSTATEs.
PG_READ_ONLY = "25006"  # read_only_sql_transaction (a standby, or default_transaction_read_only)
PG_FULL = ("53100", "53200", "53400")  # disk_full, out_of_memory, configuration_limit_exceeded
PG_TOO_MANY_CONNECTIONS = "53300"
PG_CANCELED = "57014"  # query_canceled: the statement timeout
PG_RETRY = ("40001", "40P01", "55P03")  # serialization failure, deadlock, lock not available
# Connection exceptions, a login refused, the database missing, shutting down or starting up.
PG_UNAVAILABLE_CLASSES = ("08", "28", "3D", "57P")


@dataclass(frozen=True)
class Unavailable:
    """A database state a client can wait out: the problem's title and detail, and Retry-After."""

    title: str
    detail: str
    retry_after: int


DOWN = Unavailable(
    "Database unavailable", "The database is not answering; try again shortly.", retry_after=5
)
BUSY = Unavailable("Database busy", "The database is busy; try again shortly.", retry_after=2)
SLOW = Unavailable(
    "Database timeout", "The database took too long to answer; try again shortly.", retry_after=5
)
READ_ONLY = Unavailable(
    "Database read-only",
    "The database is read-only at the moment: reads work, changes are refused.",
    retry_after=60,
)
FULL = Unavailable(
    "Database full",
    "The database has no room left: reads work, changes are refused.",
    retry_after=60,
)


def classify(error: BaseException) -> Unavailable | None:
    """The 503 a database error stands for, or None when it is a bug (a 500)."""
    if isinstance(error, sa.TimeoutError):  # no connection free in the pool in time
        return BUSY
    if isinstance(error, sa.DisconnectionError):
        return DOWN
    if not isinstance(error, sa.DBAPIError):
        return None
    original = error.orig
    if isinstance(original, sqlite3.Error):
        return _sqlite(original)
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str):
        return _postgresql(sqlstate)
    # A connection that broke, or never opened (refused, timed out): no SQLSTATE, or flagged.
    if error.connection_invalidated or isinstance(error, sa.OperationalError):
        return DOWN
    return None


def _sqlite(error: sqlite3.Error) -> Unavailable | None:
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(SQLITE_READ_ONLY):
        return READ_ONLY
    if name.startswith(SQLITE_FULL):
        return FULL
    if name.startswith(SQLITE_BUSY):
        return BUSY
    if name.startswith(SQLITE_INTERRUPTED):
        return SLOW
    if name.startswith(SQLITE_UNAVAILABLE):
        return DOWN
    return None


def _postgresql(sqlstate: str) -> Unavailable | None:
    if sqlstate == PG_READ_ONLY:
        return READ_ONLY
    if sqlstate in PG_FULL:
        return FULL
    if sqlstate == PG_CANCELED:
        return SLOW
    if sqlstate in PG_RETRY or sqlstate == PG_TOO_MANY_CONNECTIONS:
        return BUSY
    if sqlstate.startswith(PG_UNAVAILABLE_CLASSES):
        return DOWN
    return None
