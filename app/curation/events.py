"""The past a status change keeps: its dated event, and the event before it that dates the
status it replaced."""

import datetime as dt
from typing import Any

from sqlmodel import Session, col, func, select

from app.curation.audit import now
from app.curation.citations import Cited, add_citations
from app.dates import parse_partial, period_start
from app.kinds import Kind
from app.models import (
    Event,
    EventCountry,
)
from app.names import slug
from app.payloads import StatusChange
from app.problems import invalid_body
from app.queries.events import subject_events
from app.queries.provenance import load_provenance
from app.queries.records import load_lists


def effective_date(
    session: Session, kind: Kind, row: Any, payload: StatusChange, status_changed: bool
) -> str | None:
    """The date a change took effect: given or, for a status change, today; not in the
    future, and not before the latest dated change on record (the history stays in order).
    None for a change given no date that keeps the status: a correction, which holds for every
    date (docs/decisions.md, "A history for every field")."""
    if not status_changed and payload.effective is None:
        extra = [
            (name, "only a dated change takes it: give `effective` too, or change the status")
            for name in ("event_kind", "event_summary")
            if getattr(payload, name) is not None
        ]
        if extra:
            raise invalid_body(*extra)
        return None
    today = now().date()
    effective = payload.effective or today.isoformat()
    start, _ = parse_partial(effective)
    # A day's grace: "today" where the curator is may be tomorrow in UTC.
    if start > today + dt.timedelta(days=1):
        raise invalid_body(
            ("effective", f"{effective} is in the future; record a change once it holds")
        )
    history = subject_events(session, subject_type=kind.name, subject_ids=[row.id])
    dated = [e for e in history.get(row.id, []) if e.status_after or e.changes]
    if dated and start < dated[-1].date_start:
        latest = dated[-1]
        raise invalid_body(
            (
                "effective",
                f"{effective} is before the latest dated change on record "
                f"({latest.date}, event {latest.id!r})",
            )
        )
    return effective


def dates_follow_status(
    kind: Kind, status: str, effective: str, given: dict[str, Any]
) -> dict[str, Any]:
    """The dates a new status implies, field by field, unless the curator gave that field in
    the same write (a note alone still gets the date it is about)."""
    implied: dict[str, Any] = {}
    if (dated := kind.date_of_status(status)) is not None:
        implied[dated] = effective
        for name, value in ((f"{dated}_inferred", False), (f"{dated}_note", None)):
            if name in kind.model.model_fields:
                implied[name] = value
    return {**implied, **given}


def baseline_event(session: Session, kind: Kind, row: Any, effective: str) -> dict[str, Any] | None:
    """Before a record's first dated status change: when its status held from, as an event.

    `as_of` answers a date before the first change with that change's `status_before`, from
    no start at all. A record whose status was known only from a date (its `since`, else the
    earliest article citing it) keeps that start this way, with the citations that gave it:
    a measure does not seem in force before it began.
    """
    history = subject_events(session, subject_type=kind.name, subject_ids=[row.id])
    if any(e.status_after for e in history.get(row.id, [])):
        return None
    since, inferred, note = None, False, None
    if kind.status is not None:
        state = kind.status.of(row)
        since, inferred, note = state.since, state.since_inferred, state.since_note
    cited = load_provenance(session, record_type=kind.name, record_ids=[row.id])[row.id]
    if since is None:
        published = sorted(
            (period_start(c["published"]), c["published"]) for c in cited if c["published"]
        )
        if not published:
            return None
        since, inferred = published[0][1], True
        note = "the earliest publication date of an article citing the record"
    if period_start(since) > parse_partial(effective)[0]:  # type: ignore[operator]
        return None
    title = getattr(row, kind.title)
    return {
        "date": since,
        "date_inferred": inferred,
        "date_note": note,
        "kind_of_event": "statement",
        "summary": f"{title}: {row.status}, as recorded before its first status change",
        "before": None,
        "after": row.status,
        "cited": [
            Cited(c["source_file"], c["sentence_index"], c["quote"], c["quote_start"])
            for c in cited
        ],
    }


def current_lists(session: Session, kind: Kind, row: Any) -> dict[str, list[str]]:
    """What a record lists from its link tables now, by field name."""
    return {
        name: found.get(row.id, []) for name, found in load_lists(session, kind, [row.id]).items()
    }


def add_event(
    session: Session,
    kind: Kind,
    row: Any,
    *,
    date: str,
    kind_of_event: str,
    summary: str,
    before: str | None,
    cited: list[Cited],
    after: str | None = None,
    date_inferred: bool = False,
    date_note: str | None = None,
    of_status: bool = True,
) -> Event:
    """A dated change of the record: of its status (to its status now, unless `after` says),
    or with `of_status` False, of its other fields only."""
    after = (after or row.status) if of_status else None
    prefix = f"{slug(row.id, length=30)}-{date}-"
    taken = session.exec(
        select(func.count()).select_from(Event).where(col(Event.id).startswith(prefix))
    ).one()
    event = Event(
        # Numbered, so the changes a curator records on one day sort in the order made.
        id=f"{prefix}{taken + 1:02d}-{slug(after or 'change', length=18)}",
        date=date,
        date_start=parse_partial(date)[0],
        date_inferred=date_inferred,
        date_note=date_note,
        kind=kind_of_event,
        summary=summary,
        subject_type=kind.name,
        subject_id=row.id,
        status_before=before,
        status_after=after,
    )
    session.add(event)
    session.flush()
    countries = kind.countries_of(row, current_lists(session, kind, row))
    session.add_all(
        EventCountry(event_id=event.id, country=code, date_start=event.date_start)
        for code in countries
    )
    add_citations(session, "event", event.id, cited)
    session.flush()
    return event
