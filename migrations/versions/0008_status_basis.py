"""status basis: each served status says what it rests on (reported, implied or none) and how
old its newest source is, and the status periods follow the rule that never extrapolates
before the evidence (docs/decisions.md); fortifications get status periods too (their longest
status has 18 characters); 0009 rebuilds the stored documents and periods

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("status_period") as table:
        table.alter_column(
            "status", existing_type=String(length=16), type_=String(length=24), nullable=False
        )
    # The periods and documents of the new rule are derived data: 0009 rebuilds them, with
    # the code every later write keeps them with (which reads the column 0009 adds).


def downgrade() -> None:
    # The documents of the earlier rule are rebuilt by a seed run; its periods had none for
    # fortifications.
    op.execute("DELETE FROM status_period WHERE record_type = 'fortification'")
    with op.batch_alter_table("status_period") as table:
        table.alter_column(
            "status", existing_type=String(length=24), type_=String(length=16), nullable=False
        )
