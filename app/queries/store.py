"""Questions about the store as a whole: its size, what the curators own, what events are about."""

from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from app.models import (
    CuratedRecord,
    Event,
    Source,
)


def row_count(session: Session, model: Any) -> int:
    """How many rows a table holds (what an export's progress bar counts up to)."""
    return int(session.exec(select(func.count()).select_from(model)).one())


def curated_records(session: Session) -> set[tuple[str, str]]:
    """(type, id) of every record the curators own."""
    rows = session.exec(select(CuratedRecord.record_type, CuratedRecord.record_id))
    return {(record_type, record_id) for record_type, record_id in rows}


def curated_sources(session: Session) -> list[Source]:
    return list(
        session.exec(
            select(Source)
            .join(
                CuratedRecord,
                and_(
                    col(CuratedRecord.record_type) == "source",
                    col(CuratedRecord.record_id) == col(Source.file),
                ),
            )
            .order_by(col(Source.file))
        )
    )


def event_subjects(session: Session) -> list[tuple[str, str | None, str | None]]:
    """(id, subject type, subject id) of every event."""
    rows = session.exec(select(Event.id, Event.subject_type, Event.subject_id))
    return [(event_id, subject_type, subject_id) for event_id, subject_type, subject_id in rows]
