"""Events and facts as served: the dated history of a record, and the claims about it."""

import datetime as dt
import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel

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


def fields_of(row: SQLModel, out: type[BaseModel]) -> dict[str, Any]:
    """The row's values of the answer's fields that the row holds as columns."""
    return {name: getattr(row, name) for name in _shared_fields(type(row), out)}


@cache
def _shared_fields(model: type[SQLModel], out: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name in out.model_fields if name in model.model_fields)


def events(session: Session, rows: Sequence[Event]) -> list[EventOut]:
    ids = [e.id for e in rows]
    codes = load_listed(session, EVENT_COUNTRIES, ids)
    cited = load_provenance(session, record_type="event", record_ids=ids)
    return [
        EventOut.model_validate(
            fields_of(e, EventOut)
            | {
                "countries": codes.get(e.id, []),
                "subject": Subject(type=e.subject_type, id=e.subject_id)
                if e.subject_type and e.subject_id
                else None,
                "changes": [
                    {"field": name, **values}
                    for name, values in sorted(json.loads(e.changes or "{}").items())
                ],
                "provenance": cited[e.id],
            }
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
        out = fields_of(f, FactOut) | {
            "subject": Subject(type=f.subject_type, id=f.subject_id),
            "preferred_value": preferred,
            "claims": [fields_of(c, ClaimOut) | {"provenance": cited[c.id]} for c in own],
        }
        result.append(FactOut.model_validate(out))
    return result


def history_of(
    session: Session, *, subject_type: str, subject_id: str, as_of: dt.date | None = None
) -> list[EventOut]:
    """The dated events about one record, oldest first, with their provenance: up to `as_of`
    when given (those whose period began by then)."""
    found = subject_events(session, subject_type=subject_type, subject_ids=[subject_id])
    rows = found.get(subject_id, [])
    if as_of is not None:
        rows = [e for e in rows if e.date_start <= as_of]
    return events(session, rows)


def facts_about(session: Session, *, subject_type: str, subject_id: str) -> list[FactOut]:
    """The facts stated about one record, each claim with its provenance."""
    found = facts_of(session, subject_type=subject_type, subject_ids=[subject_id])
    return facts(session, found.get(subject_id, []))
