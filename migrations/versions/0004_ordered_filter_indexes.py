"""filter indexes: crossing filters end in the id (a filtered page in id order reads in index
order), and fortifications are found by their neighbour

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crossing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crossing_country"))
        batch_op.drop_index(batch_op.f("ix_crossing_neighbour"))
        batch_op.drop_index(batch_op.f("ix_crossing_status"))
        batch_op.create_index("ix_crossing_country_id", ["country", "id"], unique=False)
        batch_op.create_index("ix_crossing_neighbour_id", ["neighbour", "id"], unique=False)
        batch_op.create_index("ix_crossing_status_id", ["status", "id"], unique=False)
    with op.batch_alter_table("fortification", schema=None) as batch_op:
        batch_op.create_index("ix_fortification_neighbour", ["neighbour"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fortification", schema=None) as batch_op:
        batch_op.drop_index("ix_fortification_neighbour")
    with op.batch_alter_table("crossing", schema=None) as batch_op:
        batch_op.drop_index("ix_crossing_status_id")
        batch_op.drop_index("ix_crossing_neighbour_id")
        batch_op.drop_index("ix_crossing_country_id")
        batch_op.create_index(batch_op.f("ix_crossing_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_crossing_neighbour"), ["neighbour"], unique=False)
        batch_op.create_index(batch_op.f("ix_crossing_country"), ["country"], unique=False)
