"""Events and facts as served: the dated history of a record, and the claims about it."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.kinds import Listed
from app.models import Event, EventCountry, Fact
from app.queries.events import subject_events
from app.queries.facts import facts_of, load_claims
from app.queries.provenance import load_provenance
from app.queries.records import load_listed
from app.schemas import (
    ClaimOut,
    EventOut,
    FactOut,
    Provenance,
    Subject,
)

EVENT_COUNTRIES = Listed("countries", EventCountry, "event_id", "country")


def provenance(rows: Sequence[dict[str, Any]]) -> list[Provenance]:
    return [Provenance.model_validate(row) for row in rows]


def events(session: Session, rows: Sequence[Event]) -> list[EventOut]:
    ids = [e.id for e in rows]
    codes = load_listed(session, EVENT_COUNTRIES, ids)
    cited = load_provenance(session, record_type="event", record_ids=ids)
    return [
        EventOut(
            id=e.id,
            date=e.date,
            date_inferred=e.date_inferred,
            date_note=e.date_note,
            kind=e.kind,
            summary=e.summary,
            countries=codes.get(e.id, []),
            subject=Subject(type=e.subject_type, id=e.subject_id)
            if e.subject_type and e.subject_id
            else None,
            status_before=e.status_before,
            status_after=e.status_after,
            provenance=provenance(cited[e.id]),
        )
        for e in rows
    ]


def facts(session: Session, rows: Sequence[Fact]) -> list[FactOut]:
    claims = load_claims(session, fact_ids=[f.id for f in rows])
    claim_ids = [c.id for group in claims.values() for c in group]
    cited = load_provenance(session, record_type="claim", record_ids=claim_ids)
    result = []
    for f in rows:
        own = claims.get(f.id, [])
        preferred = next((c.value for c in own if c.preferred), None)
        if preferred is None and len({c.value for c in own}) == 1:
            preferred = own[0].value
        result.append(
            FactOut(
                id=f.id,
                subject=Subject(type=f.subject_type, id=f.subject_id),
                topic=f.topic,
                summary=f.summary,
                unit=f.unit,
                disputed=f.disputed,
                preferred_reason=f.preferred_reason,
                preferred_value=preferred,
                claims=[
                    ClaimOut(
                        value=c.value,
                        value_num=c.value_num,
                        preferred=c.preferred,
                        note=c.note,
                        provenance=provenance(cited[c.id]),
                    )
                    for c in own
                ],
            )
        )
    return result


def history_of(session: Session, *, subject_type: str, subject_id: str) -> list[EventOut]:
    """The dated events about one record, oldest first, with their provenance."""
    found = subject_events(session, subject_type=subject_type, subject_ids=[subject_id])
    return events(session, found.get(subject_id, []))


def facts_about(session: Session, *, subject_type: str, subject_id: str) -> list[FactOut]:
    """The facts stated about one record, each claim with its provenance."""
    found = facts_of(session, subject_type=subject_type, subject_ids=[subject_id])
    return facts(session, found.get(subject_id, []))
