"""The audit log and the revisions of records."""

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.models import (
    AuditEntry,
    RecordRevision,
)


def revisions_of(session: Session, *, record_type: str, record_id: str) -> list[RecordRevision]:
    """A record's earlier states, oldest first."""
    return list(
        session.exec(
            select(RecordRevision)
            .where(RecordRevision.record_type == record_type, RecordRevision.record_id == record_id)
            .order_by(col(RecordRevision.revision))
        )
    )


def audit_page(
    session: Session,
    *,
    record_type: str | None,
    record_id: str | None,
    before: int | None,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Audit entries newest first, optionally of one record; `before` is the last id seen."""
    conditions: list[ColumnElement[bool]] = []
    if record_type is not None:
        conditions.append(col(AuditEntry.record_type) == record_type)
    if record_id is not None:
        conditions.append(col(AuditEntry.record_id) == record_id)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    rows = audit_before(
        session, record_type=record_type, record_id=record_id, before=before, limit=limit
    )
    return rows, int(total)


def audit_before(
    session: Session,
    *,
    record_type: str | None,
    record_id: str | None,
    before: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Up to `limit` audit entries newest first, before the id `before`, without a total."""
    query = select(AuditEntry)
    if record_type is not None:
        query = query.where(col(AuditEntry.record_type) == record_type)
    if record_id is not None:
        query = query.where(col(AuditEntry.record_id) == record_id)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    return list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)))
