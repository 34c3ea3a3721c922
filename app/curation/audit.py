"""Who wrote what and when: audit entries, records the curators own, and revisions."""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, func, select

from app.models import (
    AuditEntry,
    CuratedRecord,
    RecordRevision,
)


@dataclass(frozen=True)
class Write:
    """Who sends a write, and where to: what the audit log records of it."""

    curator: str
    method: str
    path: str


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def audit_entry(
    session: Session,
    write: Write,
    *,
    action: str,
    record_type: str,
    record_id: str,
    before: str | None,
    after: str | None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now(),
        curator=write.curator,
        method=write.method,
        path=write.path,
        action=action,
        record_type=record_type,
        record_id=record_id,
        before=before,
        after=after,
    )
    session.add(entry)
    session.flush()
    return entry


def adopt(session: Session, record_type: str, record_id: str, audit: AuditEntry) -> None:
    """The record is the curators' from now on: the seeder leaves it alone."""
    if session.get(CuratedRecord, (record_type, record_id)) is None:
        assert audit.id is not None
        session.add(
            CuratedRecord(
                record_type=record_type, record_id=record_id, since=audit.at, audit_id=audit.id
            )
        )
        session.flush()


def last_revision(session: Session, record_type: str, record_id: str) -> int:
    last = session.exec(
        select(func.max(RecordRevision.revision)).where(
            RecordRevision.record_type == record_type, RecordRevision.record_id == record_id
        )
    ).one()
    return int(last or 0)


def add_revision(
    session: Session, *, record_type: str, record_id: str, state: str, audit: AuditEntry
) -> None:
    """Keep a record's state as it was served until the write `audit` records replaced it."""
    assert audit.id is not None
    session.add(
        RecordRevision(
            record_type=record_type,
            record_id=record_id,
            revision=last_revision(session, record_type, record_id) + 1,
            state=state,
            until=audit.at,
            audit_id=audit.id,
        )
    )
