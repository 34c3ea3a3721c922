"""status basis: each served status says what it rests on (reported, implied or none) and how
old its newest source is, and the status periods follow the rule that never extrapolates
before the evidence (docs/decisions.md); fortifications get status periods too (their longest
status has 18 characters); the stored documents and periods are rebuilt

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlmodel
from alembic import op
from sqlmodel import Session

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
    # Derived data only: rebuilt by the same code every later write keeps it with.
    from app.derived.documents import refresh_documents
    from app.derived.periods import refresh_periods
    from app.derived.version import bump_data_version

    session = Session(bind=op.get_bind())
    refresh_periods(session)
    refresh_documents(session)
    bump_data_version(session)
    session.flush()


def downgrade() -> None:
    # The documents of the earlier rule are rebuilt by a seed run; its periods had none for
    # fortifications.
    op.execute("DELETE FROM status_period WHERE record_type = 'fortification'")
    with op.batch_alter_table("status_period") as table:
        table.alter_column(
            "status", existing_type=String(length=24), type_=String(length=16), nullable=False
        )
