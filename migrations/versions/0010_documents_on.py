"""the day every stored document was last built for (`data_version.documents_on`): a worker
that sees a later day rebuilds them (`app.derived.day`)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Left empty: the first worker to start rebuilds the documents for its day.
    with op.batch_alter_table("data_version") as table:
        table.add_column(sa.Column("documents_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_version") as table:
        table.drop_column("documents_on")
