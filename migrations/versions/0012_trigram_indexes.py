"""trigram indexes for the lists' `q` filters on PostgreSQL (pg_trgm): a substring of a
crossing's folded names, or of a measure's summary in lower case, is found off a GIN index
instead of a scan

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, indexed expression): what the `q` filters of app.kinds match with LIKE.
INDEXES = [
    ("ix_crossing_alias_key_trgm", "crossing_alias", "alias_key"),
    ("ix_restriction_summary_trgm", "restriction", "lower(summary)"),
    ("ix_fortification_summary_trgm", "fortification", "lower(summary)"),
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite scans: see docs/performance.md
    # pg_trgm ships with PostgreSQL and is trusted (a database owner may create it). Where it
    # can't be created the filters still work, by a scan, and the migration goes on.
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    for name, table, expression in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (({expression}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _expression in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
