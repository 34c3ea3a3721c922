"""Rows -> wire objects. Each function loads what a whole list needs in a fixed number of
queries (aliases, citations, events ...), so no list costs one query per record."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app import queries
from app.dates import period_start
from app.history import StatusOnDate, status_at
from app.models import (
    Border,
    Citation,
    Crossing,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    Restriction,
    RestrictionCountry,
    Sentence,
    Source,
)
from app.schemas import (
    BorderOut,
    CitedBy,
    ClaimOut,
    CrossingCounts,
    CrossingDetail,
    CrossingOut,
    EventOut,
    FactOut,
    FortificationDetail,
    FortificationOut,
    Provenance,
    RestrictionDetail,
    RestrictionOut,
    SentenceOut,
    SourceDetail,
    SourceOut,
    Subject,
)


def provenance(rows: Sequence[dict[str, Any]]) -> list[Provenance]:
    return [Provenance.model_validate(row) for row in rows]


def attested(published: Sequence[str]) -> dt.date | None:
    """The earliest publication date among a record's citing articles."""
    dates = [period_start(value) for value in published]
    return min((d for d in dates if d is not None), default=None)


Dated = Crossing | Border | Restriction
RECORD_TYPES: dict[type[Dated], str] = {
    Crossing: "crossing",
    Border: "border",
    Restriction: "restriction",
}


def current_status(row: Dated) -> StatusOnDate:
    if isinstance(row, Restriction):
        return StatusOnDate(row.status, row.since, row.since_inferred, row.since_note)
    return StatusOnDate(
        row.status, row.status_since, row.status_since_inferred, row.status_since_note
    )


def state_of(row: Dated, statuses: dict[str, StatusOnDate | None] | None) -> StatusOnDate:
    """The record's status now, or on the date `statuses` (from `statuses_at`) is for."""
    state = current_status(row) if statuses is None else statuses.get(row.id)
    return state or StatusOnDate("unknown")


def _histories(
    session: Session, rows: Sequence[Dated]
) -> tuple[dict[str, list[Any]], dict[str, list[str]]]:
    """What `status_at` reads of each record: its dated status changes, and the publication
    dates of the articles citing it."""
    record_type = RECORD_TYPES[type(rows[0])]
    ids = [r.id for r in rows]
    changes = queries.status_changes(session, subject_type=record_type, subject_ids=ids)
    published = queries.published_dates(session, record_type=record_type, record_ids=ids)
    return changes, published


def statuses_at(
    session: Session, rows: Sequence[Dated], *, as_of: dt.date
) -> dict[str, StatusOnDate | None]:
    """Each record's status on a date, from its history; None where the sources are silent."""
    if not rows:
        return {}
    changes, published = _histories(session, rows)
    return {
        r.id: status_at(
            current=current_status(r),
            changes=changes.get(r.id, []),
            attested=attested(published.get(r.id, [])),
            as_of=as_of,
        )
        for r in rows
    }


def restriction_state_on(
    as_of: dt.date, restriction: Restriction, state: StatusOnDate | None
) -> StatusOnDate | None:
    """A restriction's status on the date, from its history's (`state`); None if it did not
    exist yet (then it is not listed). One in force until a date is lifted from then."""
    until = restriction.until_start
    if state and state.status == "in_force" and until and until <= as_of:
        return StatusOnDate("lifted", restriction.until)
    return state


def listed_status(row: Dated, state: StatusOnDate | None, as_of: dt.date) -> str | None:
    """The status a list filters a record by on the date, from its history's (`state`): a
    crossing the sources say nothing of is `unknown`, a restriction not yet in existence is
    not listed (None)."""
    if isinstance(row, Restriction):
        found = restriction_state_on(as_of, row, state)
        return found.status if found else None
    return state.status if state else "unknown"


# (valid_from, valid_until, status): the status from one date up to, not including, another.
Period = tuple[dt.date, dt.date, str]


def listed_periods(session: Session, rows: Sequence[Dated]) -> dict[str, list[Period]]:
    """Each record's listed status over all dates (`listed_status`), as spans in date order.

    A status on a date only changes at a date its history names (a change, the start of its
    current status, a restriction's end), so it is read at each of those and holds until the
    next: the spans answer exactly what `statuses_at` would for any date.
    """
    if not rows:
        return {}
    changes, published = _histories(session, rows)
    found: dict[str, list[Period]] = {}
    for row in rows:
        current = current_status(row)
        history = changes.get(row.id, [])
        first_attested = attested(published.get(row.id, []))
        points = {change.date_start for change in history}
        points.add(period_start(current.since) or first_attested or dt.date.min)
        if isinstance(row, Restriction) and row.until_start:
            points.add(row.until_start)
        starts = [dt.date.min, *sorted(points - {dt.date.min})]
        spans: list[Period] = []
        for begin, end in zip(starts, [*starts[1:], dt.date.max], strict=True):
            state = status_at(
                current=current, changes=history, attested=first_attested, as_of=begin
            )
            status = listed_status(row, state, begin)
            if status is None:
                continue
            if spans and spans[-1][1] == begin and spans[-1][2] == status:
                spans[-1] = (spans[-1][0], end, status)
            else:
                spans.append((begin, end, status))
        found[row.id] = spans
    return found


def crossings(
    session: Session,
    rows: Sequence[Crossing],
    *,
    statuses: dict[str, StatusOnDate | None] | None = None,
) -> list[CrossingOut]:
    """Crossings as they are, or as they stood on a date when given `statuses_at` results."""
    ids = [c.id for c in rows]
    aliases = queries.load_aliases(session, crossing_ids=ids)
    traffic = queries.load_traffic(session, crossing_ids=ids)
    cited = queries.load_provenance(session, record_type="crossing", record_ids=ids)
    result = []
    for c in rows:
        state = state_of(c, statuses)
        result.append(
            CrossingOut(
                id=c.id,
                name=c.name,
                counterpart=c.counterpart,
                aliases=aliases.get(c.id, []),
                country=c.country,
                neighbour=c.neighbour,
                border_id=c.border_id,
                status=state.status,
                traffic=traffic.get(c.id, []),
                status_since=state.since,
                status_since_inferred=state.since_inferred,
                status_since_note=state.since_note,
                notes=c.notes,
                provenance=provenance(cited[c.id]),
            )
        )
    return result


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


def restrictions(
    session: Session,
    rows: Sequence[Restriction],
    *,
    statuses: dict[str, StatusOnDate | None] | None = None,
) -> list[RestrictionOut]:
    """Restrictions as they are, or as they stood on a date when given `statuses_at` results."""
    ids = [r.id for r in rows]
    codes = queries.load_countries(session, link=RestrictionCountry, key="restriction_id", ids=ids)
    cited = queries.load_provenance(session, record_type="restriction", record_ids=ids)
    result = []
    for r in rows:
        state = state_of(r, statuses)
        result.append(
            RestrictionOut(
                id=r.id,
                kind=r.kind,
                summary=r.summary,
                countries=codes.get(r.id, []),
                status=state.status,
                since=state.since,
                since_inferred=state.since_inferred,
                since_note=state.since_note,
                until=r.until,
                provenance=provenance(cited[r.id]),
            )
        )
    return result


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


def history_of(session: Session, *, subject_type: str, subject_id: str) -> list[EventOut]:
    """The dated events about one record, oldest first, with their provenance."""
    found = queries.subject_events(session, subject_type=subject_type, subject_ids=[subject_id])
    return events(session, found.get(subject_id, []))


def facts_about(session: Session, *, subject_type: str, subject_id: str) -> list[FactOut]:
    """The facts stated about one record, each claim with its provenance."""
    found = queries.facts_of(session, subject_type=subject_type, subject_ids=[subject_id])
    return facts(session, found.get(subject_id, []))


# --- one record, as its detail endpoint serves it -------------------------------------------
# The write API answers with the same bytes, so the ETag a PATCH returns is the one a GET gives.


def crossing_detail(session: Session, crossing: Crossing) -> CrossingDetail:
    (out,) = crossings(session, [crossing])
    return CrossingDetail(
        **out.model_dump(),
        history=history_of(session, subject_type="crossing", subject_id=crossing.id),
        facts=facts_about(session, subject_type="crossing", subject_id=crossing.id),
    )


def restriction_detail(session: Session, restriction: Restriction) -> RestrictionDetail:
    (out,) = restrictions(session, [restriction])
    return RestrictionDetail(
        **out.model_dump(),
        history=history_of(session, subject_type="restriction", subject_id=restriction.id),
    )


def fortification_detail(session: Session, fortification: Fortification) -> FortificationDetail:
    (out,) = fortifications(session, [fortification])
    return FortificationDetail(
        **out.model_dump(),
        history=history_of(session, subject_type="fortification", subject_id=fortification.id),
        facts=facts_about(session, subject_type="fortification", subject_id=fortification.id),
    )


def source_out(source: Source, sentence_count: int) -> SourceOut:
    return SourceOut(**source.model_dump(exclude={"text"}), sentence_count=sentence_count)


def source_detail(session: Session, source: Source) -> SourceDetail:
    """One article: its exact text and every sentence, each with the records citing it."""
    found = queries.sentences_of(session, file=source.file)
    citations = queries.citations_of_sentences(session, file=source.file)
    return SourceDetail(
        **source.model_dump(),
        sentence_count=len(found),
        sentences=[sentence(s, citations.get(s.sentence_index, [])) for s in found],
    )


def sentence(row: Sentence, citations: Sequence[Citation]) -> SentenceOut:
    return SentenceOut(
        source_file=row.source_file,
        sentence_index=row.sentence_index,
        kind=row.kind,
        text=row.text,
        char_start=row.char_start,
        char_end=row.char_end,
        cited_by=[
            CitedBy(record_type=c.record_type, record_id=c.record_id, quote=c.quote)
            for c in citations
        ],
    )
