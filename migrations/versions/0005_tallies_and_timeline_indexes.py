"""tallies and timeline indexes: list totals are sums over small tally tables, and every list
(the timeline included) reads its page in order off an index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "crossing_tally",
        sa.Column("country", String(length=2), nullable=False),
        sa.Column("neighbour", String(length=2), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("mode", String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country", "neighbour", "status", "mode"),
    )
    op.create_table(
        "restriction_tally",
        sa.Column("country", String(length=2), nullable=False),
        sa.Column("kind", String(length=16), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country", "kind", "status"),
    )
    # The tallies of a store migrated with its data (later writes keep them current).
    op.execute(
        "INSERT INTO crossing_tally (country, neighbour, status, mode, n)"
        " SELECT country, neighbour, status, '', count(*) FROM crossing"
        " GROUP BY country, neighbour, status"
        " UNION ALL"
        " SELECT c.country, c.neighbour, c.status, t.mode, count(*)"
        " FROM crossing c JOIN crossing_traffic t ON t.crossing_id = c.id"
        " GROUP BY c.country, c.neighbour, c.status, t.mode"
    )
    op.execute(
        "INSERT INTO restriction_tally (country, kind, status, n)"
        " SELECT '', kind, status, count(*) FROM restriction GROUP BY kind, status"
        " UNION ALL"
        " SELECT rc.country, r.kind, r.status, count(*)"
        " FROM restriction r JOIN restriction_country rc ON rc.restriction_id = r.id"
        " GROUP BY rc.country, r.kind, r.status"
    )
    with op.batch_alter_table("crossing", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crossing_country_status_id", ["country", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_crossing_neighbour_status_id", ["neighbour", "status", "id"], unique=False
        )
    with op.batch_alter_table("crossing_traffic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crossing_traffic_mode"))
        batch_op.create_index(
            "ix_crossing_traffic_mode_crossing", ["mode", "crossing_id"], unique=False
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_date_start"))
        batch_op.drop_index(batch_op.f("ix_event_kind"))
        batch_op.create_index("ix_event_date_id", ["date_start", "id"], unique=False)
        batch_op.create_index("ix_event_kind_date_id", ["kind", "date_start", "id"], unique=False)
    with op.batch_alter_table("event_country", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_start", sa.Date(), nullable=True))
    op.execute(
        "UPDATE event_country SET date_start ="
        " (SELECT e.date_start FROM event e WHERE e.id = event_country.event_id)"
    )
    with op.batch_alter_table("event_country", schema=None) as batch_op:
        batch_op.alter_column("date_start", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_event_country_country"))
        batch_op.create_index(
            "ix_event_country_timeline", ["country", "date_start", "event_id"], unique=False
        )
    with op.batch_alter_table("restriction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restriction_kind"))
        batch_op.drop_index(batch_op.f("ix_restriction_status"))
        batch_op.create_index("ix_restriction_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index("ix_restriction_status_id", ["status", "id"], unique=False)
    with op.batch_alter_table("restriction_country", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restriction_country_country"))
        batch_op.create_index(
            "ix_restriction_country_country_id", ["country", "restriction_id"], unique=False
        )
    with op.batch_alter_table("fortification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fortification_kind"))
        batch_op.drop_index(batch_op.f("ix_fortification_status"))
        batch_op.drop_index("ix_fortification_neighbour")
        batch_op.create_index("ix_fortification_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index("ix_fortification_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_fortification_neighbour_id", ["neighbour", "id"], unique=False)
    with op.batch_alter_table("fortification_country", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fortification_country_country"))
        batch_op.create_index(
            "ix_fortification_country_country_id", ["country", "fortification_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fortification_country", schema=None) as batch_op:
        batch_op.drop_index("ix_fortification_country_country_id")
        batch_op.create_index(
            batch_op.f("ix_fortification_country_country"), ["country"], unique=False
        )
    with op.batch_alter_table("fortification", schema=None) as batch_op:
        batch_op.drop_index("ix_fortification_neighbour_id")
        batch_op.drop_index("ix_fortification_status_id")
        batch_op.drop_index("ix_fortification_kind_id")
        batch_op.create_index("ix_fortification_neighbour", ["neighbour"], unique=False)
        batch_op.create_index(batch_op.f("ix_fortification_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_fortification_kind"), ["kind"], unique=False)
    with op.batch_alter_table("restriction_country", schema=None) as batch_op:
        batch_op.drop_index("ix_restriction_country_country_id")
        batch_op.create_index(
            batch_op.f("ix_restriction_country_country"), ["country"], unique=False
        )
    with op.batch_alter_table("restriction", schema=None) as batch_op:
        batch_op.drop_index("ix_restriction_status_id")
        batch_op.drop_index("ix_restriction_kind_id")
        batch_op.create_index(batch_op.f("ix_restriction_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_restriction_kind"), ["kind"], unique=False)
    with op.batch_alter_table("event_country", schema=None) as batch_op:
        batch_op.drop_index("ix_event_country_timeline")
        batch_op.create_index(batch_op.f("ix_event_country_country"), ["country"], unique=False)
        batch_op.drop_column("date_start")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_kind_date_id")
        batch_op.drop_index("ix_event_date_id")
        batch_op.create_index(batch_op.f("ix_event_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_date_start"), ["date_start"], unique=False)
    with op.batch_alter_table("crossing_traffic", schema=None) as batch_op:
        batch_op.drop_index("ix_crossing_traffic_mode_crossing")
        batch_op.create_index(batch_op.f("ix_crossing_traffic_mode"), ["mode"], unique=False)
    with op.batch_alter_table("crossing", schema=None) as batch_op:
        batch_op.drop_index("ix_crossing_neighbour_status_id")
        batch_op.drop_index("ix_crossing_country_status_id")
    op.drop_table("restriction_tally")
    op.drop_table("crossing_tally")
