"""status periods: the spans of dates over which each crossing and restriction is listed with
one status, so that `as_of` with a status filter reads an index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "status_period",
        sa.Column("record_type", String(length=16), nullable=False),
        sa.Column("record_id", String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", "valid_from"),
    )
    op.create_index(
        "ix_status_period_record_status",
        "status_period",
        ["record_type", "record_id", "status", "valid_from", "valid_until"],
        unique=False,
    )
    # The periods of a store migrated with its data are filled by 0008, by the code every
    # later write keeps them with (the rule they follow changed there).


def downgrade() -> None:
    op.drop_index("ix_status_period_record_status", table_name="status_period")
    op.drop_table("status_period")
