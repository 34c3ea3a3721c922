"""status periods keep the whole status on their dates (its start, basis, event and newest
report), so a list on a date reads it off an index; crossing counts, the number of a border's
crossings with each status from each day it changes on, so a border's counts on any date are
read off an index; and an index of the events that change other fields than a status

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "crossing_count",
        sa.Column("border_id", String(length=8), nullable=False),
        sa.Column("status", String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("border_id", "status", "day"),
    )
    op.create_index(
        "ix_event_field_changes",
        "event",
        ["subject_type", "subject_id"],
        unique=False,
        sqlite_where=sa.text("changes IS NOT NULL"),
        postgresql_where=sa.text("changes IS NOT NULL"),
    )
    with op.batch_alter_table("status_period") as table:
        table.add_column(sa.Column("since", String(length=10), nullable=True))
        table.add_column(
            sa.Column("since_inferred", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("since_note", String(), nullable=True))
        table.add_column(
            sa.Column("basis", String(length=16), nullable=False, server_default="reported")
        )
        table.add_column(sa.Column("event", String(length=64), nullable=True))
        table.add_column(sa.Column("last_reported", String(length=10), nullable=True))
    with op.batch_alter_table("status_period") as table:
        table.alter_column("since_inferred", server_default=None)
        table.alter_column("basis", server_default=None)
    # Derived data, made again by the code every later write keeps it with.
    from app.derived.counts import refresh_crossing_counts
    from app.derived.periods import refresh_periods

    op.execute("DELETE FROM status_period")
    session = Session(bind=op.get_bind())
    refresh_periods(session)
    refresh_crossing_counts(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_event_field_changes", table_name="event")
    op.drop_table("crossing_count")
    with op.batch_alter_table("status_period") as table:
        for column in ("last_reported", "event", "basis", "since_note", "since_inferred", "since"):
            table.drop_column(column)
