"""documents served as is by the lists, and the data version workers watch

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT_TABLES = ("crossing", "restriction", "fortification")


def upgrade() -> None:
    for table in DOCUMENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("doc", sa.Text(), nullable=True))
    data_version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(data_version, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
    for table in DOCUMENT_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("doc")
