"""Prepared reads: a statement compiled once per dialect, run on a driver connection."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPIConnection


@dataclass(frozen=True)
class PreparedQuery:
    """A statement compiled once for a dialect and run on a driver connection.

    The hottest reads skip building the statement and SQLAlchemy's execution layer on every
    request; what they bind are plain strings and integers, which need no type processing.
    """

    sql: str
    defaults: Mapping[str, Any]
    # Parameter names in order, for drivers with positional placeholders (SQLite's `?`).
    positions: tuple[str, ...] | None

    def fetch(self, connection: DBAPIConnection, values: Mapping[str, Any]) -> list[Any]:
        params: Mapping[str, Any] = {**self.defaults, **values}
        cursor = connection.cursor()
        try:
            if self.positions is None:
                cursor.execute(self.sql, params)
            else:
                cursor.execute(self.sql, [params[name] for name in self.positions])
            return list(cursor.fetchall())
        finally:
            cursor.close()


@lru_cache(maxsize=1024)
def prepared(dialect: Dialect, statement: ClauseElement) -> PreparedQuery:
    """`statement` compiled for `dialect` (statements are built once per shape and cached)."""
    compiled = statement.compile(dialect=dialect)
    order = getattr(compiled, "positiontup", None)
    positions = tuple(order) if dialect.positional and order is not None else None
    return PreparedQuery(compiled.string, dict(compiled.params), positions)
