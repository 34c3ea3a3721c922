"""Borders as served: status, crossing counts, facts and provenance."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.dated import FRESHNESS, state_of, statuses_at, today
from app.dates import parse_partial
from app.history import newest
from app.kinds import DATED
from app.models import Border
from app.presenters.evidence import facts, fields_of, provenance
from app.queries.borders import borders as borders_of
from app.queries.borders import crossing_counts, crossing_counts_on, crossing_status_changes
from app.queries.facts import facts_of
from app.queries.provenance import load_provenance
from app.schemas import (
    BorderOut,
    BorderStatusNote,
    CrossingCounts,
)

BORDER = DATED["border"]


def borders(
    session: Session, rows: Sequence[Border], as_of: dt.date | None = None
) -> list[BorderOut]:
    """Borders as they stood on `as_of` (today when not given)."""
    on = as_of or today()
    statuses = statuses_at(session, rows, as_of=on)
    ids = [b.id for b in rows]
    # By each crossing's status on the date, today too: the tallies count the newest status
    # recorded, which may hold only from a later day.
    counts = crossing_counts_on(session, ids, on)
    own_facts = facts_of(session, subject_type="border", subject_ids=ids)
    fact_out = {f.id: f for f in facts(session, [f for group in own_facts.values() for f in group])}
    cited = load_provenance(session, record_type="border", record_ids=ids)
    unrevised = _not_revised_for(session, rows, cited, on)
    result = []
    for b in rows:
        border_facts = [fact_out[f.id] for f in own_facts.get(b.id, [])]
        state = state_of(b, statuses)
        out = fields_of(b, BorderOut) | {
            **BORDER.fields(state),
            "stale": FRESHNESS.stale(state.last_reported, on),
            "crossing_counts": CrossingCounts(**counts.get(b.id, {})),
            "not_revised_for": unrevised.get(b.id, []),
            "facts": border_facts,
            "disputed": any(f.disputed for f in border_facts),
            "provenance": cited[b.id],
        }
        result.append(BorderOut.model_validate(out))
    return result


def _not_revised_for(
    session: Session,
    rows: Sequence[Border],
    cited: dict[str, list[dict[str, Any]]],
    on: dt.date,
) -> dict[str, list[str]]:
    """Each border's crossing status changes dated after the newest article it cites, up to
    `on`: what its own status and summary, written from those articles, do not take in. A
    change dated within that article's period may be in it, and is not counted."""
    after: dict[str, dt.date] = {}
    for border in rows:
        written = newest([c["published"] for c in cited[border.id] if c["published"]])
        after[border.id] = parse_partial(written)[1] if written else dt.date.min
    return crossing_status_changes(session, after, on)


def unnamed_border_notes(
    session: Session, country: str | None, neighbour: str | None, as_of: dt.date | None
) -> list[BorderStatusNote]:
    """Border-level statuses of the borders in scope whose checkpoints no source names."""
    in_scope = [
        b
        for b in borders_of(session, country=country)
        if (neighbour is None or b.neighbour == neighbour) and b.status != "unknown"
    ]
    counts = crossing_counts(session, border_ids=[b.id for b in in_scope])
    unnamed = [b for b in in_scope if not counts.get(b.id)]
    cited = load_provenance(session, record_type="border", record_ids=[b.id for b in unnamed])
    statuses = statuses_at(session, unnamed, as_of=as_of)
    notes = []
    for b in unnamed:
        state = state_of(b, statuses)
        notes.append(
            BorderStatusNote(
                border_id=b.id,
                status=state.status,
                status_since=state.since,
                summary=b.summary,
                provenance=provenance(cited[b.id]),
            )
        )
    return notes
