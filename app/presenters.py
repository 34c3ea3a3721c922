"""Rows -> wire objects. Each function loads what a whole list needs in a fixed number of
queries (aliases, citations, events ...), so no list costs one query per record."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app import queries
from app.dates import period_start
from app.history import status_at
from app.models import (
    Border,
    Crossing,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    Restriction,
    RestrictionCountry,
)
from app.schemas import (
    BorderOut,
    ClaimOut,
    CrossingCounts,
    CrossingOut,
    EventOut,
    FactOut,
    FortificationOut,
    Provenance,
    RestrictionOut,
    Subject,
)


def provenance(rows: Sequence[dict[str, Any]]) -> list[Provenance]:
    return [Provenance.model_validate(row) for row in rows]


def attested(rows: Sequence[dict[str, Any]]) -> dt.date | None:
    """The earliest publication date among a record's citing articles."""
    dates = [period_start(row["published"]) for row in rows if row["published"]]
    return min((d for d in dates if d is not None), default=None)


def crossings(
    session: Session, rows: Sequence[Crossing], *, as_of: dt.date | None = None
) -> list[CrossingOut]:
    ids = [c.id for c in rows]
    aliases = queries.load_aliases(session, crossing_ids=ids)
    traffic = queries.load_traffic(session, crossing_ids=ids)
    cited = queries.load_provenance(session, record_type="crossing", record_ids=ids)
    history = (
        queries.subject_events(session, subject_type="crossing", subject_ids=ids) if as_of else {}
    )
    result = []
    for c in rows:
        status = c.status
        if as_of is not None:
            status = (
                status_at(
                    current=c.status,
                    since=c.status_since_start,
                    changes=history.get(c.id, []),
                    attested=attested(cited[c.id]),
                    as_of=as_of,
                )
                or "unknown"
            )
        result.append(
            CrossingOut(
                id=c.id,
                name=c.name,
                counterpart=c.counterpart,
                aliases=aliases.get(c.id, []),
                country=c.country,
                neighbour=c.neighbour,
                border_id=c.border_id,
                status=status,
                traffic=traffic.get(c.id, []),
                status_since=c.status_since,
                status_since_inferred=c.status_since_inferred,
                status_since_note=c.status_since_note,
                notes=c.notes,
                provenance=provenance(cited[c.id]),
            )
        )
    return result


def crossing_statuses_at(
    session: Session, rows: Sequence[Crossing], *, as_of: dt.date
) -> dict[str, str]:
    """Each crossing's status on a date (for filtering before paging)."""
    ids = [c.id for c in rows]
    history = queries.subject_events(session, subject_type="crossing", subject_ids=ids)
    cited = queries.load_provenance(session, record_type="crossing", record_ids=ids)
    return {
        c.id: status_at(
            current=c.status,
            since=c.status_since_start,
            changes=history.get(c.id, []),
            attested=attested(cited[c.id]),
            as_of=as_of,
        )
        or "unknown"
        for c in rows
    }


def border_statuses_at(
    session: Session, rows: Sequence[Border], *, as_of: dt.date
) -> dict[str, str]:
    """Each border's border-level status on a date, from its dated events."""
    ids = [b.id for b in rows]
    history = queries.subject_events(session, subject_type="border", subject_ids=ids)
    cited = queries.load_provenance(session, record_type="border", record_ids=ids)
    return {
        b.id: status_at(
            current=b.status,
            since=b.status_since_start,
            changes=history.get(b.id, []),
            attested=attested(cited[b.id]),
            as_of=as_of,
        )
        or "unknown"
        for b in rows
    }


def events(session: Session, rows: Sequence[Event]) -> list[EventOut]:
    ids = [e.id for e in rows]
    codes = queries.load_countries(session, link=EventCountry, key="event_id", ids=ids)
    cited = queries.load_provenance(session, record_type="event", record_ids=ids)
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
    claims = queries.load_claims(session, fact_ids=[f.id for f in rows])
    claim_ids = [c.id for group in claims.values() for c in group]
    cited = queries.load_provenance(session, record_type="claim", record_ids=claim_ids)
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


def restriction_statuses_at(
    session: Session, rows: Sequence[Restriction], *, as_of: dt.date
) -> dict[str, str | None]:
    """Each restriction's status on a date; None where it didn't exist yet."""
    ids = [r.id for r in rows]
    history = queries.subject_events(session, subject_type="restriction", subject_ids=ids)
    cited = queries.load_provenance(session, record_type="restriction", record_ids=ids)
    result: dict[str, str | None] = {}
    for r in rows:
        status = status_at(
            current=r.status,
            since=r.since_start,
            changes=history.get(r.id, []),
            attested=attested(cited[r.id]),
            as_of=as_of,
        )
        if status == "in_force" and r.until_start is not None and r.until_start <= as_of:
            status = "lifted"
        result[r.id] = status
    return result


def restrictions(
    session: Session, rows: Sequence[Restriction], *, statuses: dict[str, str | None] | None = None
) -> list[RestrictionOut]:
    ids = [r.id for r in rows]
    codes = queries.load_countries(session, link=RestrictionCountry, key="restriction_id", ids=ids)
    cited = queries.load_provenance(session, record_type="restriction", record_ids=ids)
    return [
        RestrictionOut(
            id=r.id,
            kind=r.kind,
            summary=r.summary,
            countries=codes.get(r.id, []),
            status=(statuses or {}).get(r.id) or r.status,
            since=r.since,
            since_inferred=r.since_inferred,
            since_note=r.since_note,
            until=r.until,
            provenance=provenance(cited[r.id]),
        )
        for r in rows
    ]


def fortifications(session: Session, rows: Sequence[Fortification]) -> list[FortificationOut]:
    ids = [f.id for f in rows]
    codes = queries.load_countries(
        session, link=FortificationCountry, key="fortification_id", ids=ids
    )
    cited = queries.load_provenance(session, record_type="fortification", record_ids=ids)
    result = []
    for f in rows:
        own = codes.get(f.id, [])
        result.append(
            FortificationOut(
                id=f.id,
                country=own[0] if len(own) == 1 else None,
                countries=own,
                neighbour=f.neighbour,
                kind=f.kind,
                summary=f.summary,
                status=f.status,
                length_km=f.length_km,
                budget_eur=f.budget_eur,
                count=f.count,
                completion=f.completion,
                completion_inferred=f.completion_inferred,
                completion_note=f.completion_note,
                provenance=provenance(cited[f.id]),
            )
        )
    return result


def borders(session: Session, rows: Sequence[Border]) -> list[BorderOut]:
    ids = [b.id for b in rows]
    counts = queries.crossing_counts(session, border_ids=ids)
    own_facts = queries.facts_of(session, subject_type="border", subject_ids=ids)
    fact_out = {f.id: f for f in facts(session, [f for group in own_facts.values() for f in group])}
    cited = queries.load_provenance(session, record_type="border", record_ids=ids)
    result = []
    for b in rows:
        border_facts = [fact_out[f.id] for f in own_facts.get(b.id, [])]
        result.append(
            BorderOut(
                id=b.id,
                country=b.country,
                neighbour=b.neighbour,
                status=b.status,
                status_since=b.status_since,
                status_since_inferred=b.status_since_inferred,
                status_since_note=b.status_since_note,
                summary=b.summary,
                crossing_counts=CrossingCounts(**counts.get(b.id, {})),
                facts=border_facts,
                disputed=any(f.disputed for f in border_facts),
                provenance=provenance(cited[b.id]),
            )
        )
    return result
