"""field history: an event carries the other fields of its subject that it changed
(`event.changes`), and the citations a change replaced are kept (record type "superseded"), so
`as_of` rebuilds the whole record; the changes curators recorded before are filled in from
their audit entries

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 06:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event") as table:
        table.add_column(sa.Column("changes", sa.Text(), nullable=True))
    _fill_curated_changes()
    # Derived data only: rebuilt by the same code every later write keeps it with. The status
    # periods of the new rule are made by 0011, which adds the columns that code writes.
    from app.derived.documents import refresh_documents
    from app.derived.version import bump_data_version

    session = Session(bind=op.get_bind())
    refresh_documents(session)
    bump_data_version(session)
    session.flush()


def _fill_curated_changes() -> None:
    """A status change a curator recorded is audited with its subject's states before and
    after: the fields that differ between them are the change's."""
    from app.changes import SUPERSEDED, changed_fields, encode
    from app.kinds import KINDS

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT e.id, e.subject_type, a.before, a.after FROM event e "
            "JOIN curated_record c ON c.record_type = 'event' AND c.record_id = e.id "
            "JOIN audit_entry a ON a.id = c.audit_id "
            "WHERE e.status_before IS NOT NULL AND a.record_type = e.subject_type "
            "AND a.record_id = e.subject_id AND a.before IS NOT NULL AND a.after IS NOT NULL"
        )
    ).all()
    for event_id, subject_type, before_doc, after_doc in rows:
        kind = KINDS.get(subject_type)
        if kind is None:
            continue
        before, after = json.loads(before_doc), json.loads(after_doc)
        fields = changed_fields(kind.history_fields, before, after)
        bind.execute(
            sa.text("UPDATE event SET changes = :changes WHERE id = :id"),
            {"changes": encode(fields), "id": event_id},
        )
        if before.get("provenance") == after.get("provenance"):
            continue
        for position, cited in enumerate(before.get("provenance") or []):
            bind.execute(
                sa.text(
                    "INSERT INTO citation (record_type, record_id, position, source_file, "
                    "sentence_index, quote, quote_start, quote_end) SELECT :type, :id, :position, "
                    ":file, :index, :quote, :start, :end WHERE EXISTS (SELECT 1 FROM sentence "
                    "WHERE source_file = :file AND sentence_index = :index)"
                ),
                {
                    "type": SUPERSEDED,
                    "id": event_id,
                    "position": position,
                    "file": cited["source_file"],
                    "index": cited["sentence_index"],
                    "quote": cited["quote"],
                    "start": cited["quote_start"],
                    "end": cited["quote_end"],
                },
            )


def downgrade() -> None:
    op.execute("DELETE FROM citation WHERE record_type = 'superseded'")
    with op.batch_alter_table("event") as table:
        table.drop_column("changes")
