"""Creating and changing records: a kind's columns and link rows set from a write's body,
cited, with the past kept and the derived data refreshed, as its declaration (`app.kinds`)
says."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.changes import SUPERSEDED, changed_fields, encode
from app.curation.answers import Answer, etag, if_match_holds
from app.curation.audit import Write, add_revision, adopt, audit_entry
from app.curation.citations import Cited, add_citations, record_citations, resolve_citations
from app.curation.events import (
    add_event,
    baseline_event,
    current_lists,
    dates_follow_status,
    effective_date,
)
from app.curation.supersede import replaces_citations
from app.dates import period_start
from app.derived.refresh import Changes, refresh_derived
from app.derived.tallies import tally_groups
from app.kinds import KINDS, Kind
from app.models import Event
from app.names import slug
from app.payloads import RecordCreate, StatusChange
from app.presenters.evidence import fields_of
from app.presenters.records import as_listed, detail, render
from app.problems import ProblemError, invalid_body
from app.queries.borders import border, country_roles

# Fields of a PATCH that say how to record it rather than what the record becomes.
WRITE_FIELDS = frozenset(StatusChange.model_fields)


@dataclass(frozen=True)
class _Served:
    """A record as it is served: `body`, as GET /v1/{kind}/{id} answers it byte for byte, and
    `state`, as lists serve it (provenance included), which is what a revision keeps."""

    body: bytes
    state: str


def _served(session: Session, kind: Kind, row: Any) -> _Served:
    out = detail(session, kind, row)
    return _Served(out.model_dump_json().encode(), render(as_listed(kind, out)))


def _check_references(session: Session, kind: Kind, values: dict[str, Any]) -> None:
    """Every country a record names is stored; a crossing's sides make a stored border."""
    roles = country_roles(session)
    problems: list[tuple[str, str]] = []
    if "border_id" in kind.derived:
        country, neighbour = values["country"], values["neighbour"]
        if roles.get(country) != "nato":
            problems.append(("country", f"{country!r} is not one of the NATO countries stored"))
        if roles.get(neighbour) != "neighbour":
            problems.append(("neighbour", f"{neighbour!r} is not RU or BY"))
        if not problems and border(session, border_id=f"{country}-{neighbour}") is None:
            problems.append(("neighbour", f"no border {country}-{neighbour} is stored"))
    else:
        unknown = [code for code in values["countries"] if code not in roles]
        if unknown:
            problems.append(("countries", f"unknown country codes: {', '.join(unknown)}"))
        neighbour = values.get("neighbour")
        if neighbour is not None and neighbour not in roles:
            problems.append(("neighbour", f"unknown country code {neighbour!r}"))
    if problems:
        raise invalid_body(*problems)


def _set_columns(kind: Kind, row: Any, values: dict[str, Any]) -> None:
    for column in kind.columns:
        if column in values:
            setattr(row, column, values[column])
    for column in kind.dated:
        if column in values:
            setattr(row, f"{column}_start", period_start(values[column]))
    for column, derive in kind.derived.items():
        setattr(row, column, derive(row))


def _set_lists(session: Session, kind: Kind, row: Any, values: dict[str, Any]) -> None:
    """The link rows of a record (aliases, traffic, countries) made to match `values`."""
    for listed in kind.listed:
        if listed.name not in values and not set(listed.depends_on) & set(values):
            continue
        wanted = values.get(listed.name)
        if wanted is None:
            wanted = current_lists(session, kind, row)[listed.name]
        rows = listed.rows_for(row, wanted)
        _replace(session, listed.model, listed.key_column, row.id, rows, (listed.value,))


def _replace(
    session: Session,
    model: Any,
    parent: Any,
    parent_id: str,
    wanted: Sequence[Any],
    keys: tuple[str, ...],
) -> None:
    """Make a record's child rows exactly `wanted`: delete, update and insert what differs."""
    columns = [c for c in model.model_fields if c not in keys]
    stored = {
        tuple(getattr(r, k) for k in keys): r
        for r in session.exec(select(model).where(col(parent) == parent_id))
    }
    for row in wanted:
        current = stored.pop(tuple(getattr(row, k) for k in keys), None)
        if current is None:
            session.add(row)
            continue
        for column in columns:
            if getattr(current, column) != getattr(row, column):
                setattr(current, column, getattr(row, column))
    for row in stored.values():
        session.delete(row)
    session.flush()


def _new_id(kind: Kind, payload: RecordCreate) -> str:
    record_id = slug(getattr(payload, kind.title))
    if not record_id:
        raise invalid_body((kind.title, "has no letter or digit to make the record's id from"))
    return record_id


def create_record(
    session: Session, write: Write, *, kind_name: str, payload: RecordCreate
) -> Answer:
    """A new record, cited; its id is derived from its name (crossings) or summary."""
    kind = KINDS[kind_name]
    record_id = _new_id(kind, payload)
    if session.get(kind.model, record_id) is not None:
        raise ProblemError(
            409,
            "Record exists",
            f"A {kind.name} with id {record_id!r} exists; PATCH /v1/{kind.path}/{record_id} "
            "to change it.",
            errors=[{"parameter": "id", "message": f"{record_id!r} exists"}],
        )
    cited = resolve_citations(session, payload.citations)
    values = payload.model_dump(exclude={"citations"})
    _check_references(session, kind, values)
    row = kind.model(id=record_id)
    _set_columns(kind, row, values)
    session.add(row)
    session.flush()
    _set_lists(session, kind, row, values)
    add_citations(session, kind.name, record_id, cited)
    session.flush()
    served = _served(session, kind, row)
    key = (kind.name, record_id)
    refresh_derived(session, Changes(records=frozenset({key}), documents={key: served.state}))
    audit = audit_entry(
        session,
        write,
        action="create",
        record_type=kind.name,
        record_id=record_id,
        before=None,
        after=served.state,
    )
    adopt(session, kind.name, record_id, audit)
    headers = {"ETag": etag(served.body), "Location": f"/v1/{kind.path}/{record_id}"}
    return Answer(201, served.body, headers)


def update_record(
    session: Session,
    write: Write,
    *,
    kind_name: str,
    record_id: str,
    payload: StatusChange,
    if_match: str | None,
) -> Answer:
    """Change a record's fields, cited; the previous state becomes a revision and a status
    change a dated event. A stale If-Match is a 412."""
    kind = KINDS[kind_name]
    row = session.exec(
        select(kind.model).where(col(kind.model.id) == record_id.lower()).with_for_update()
    ).first()
    if row is None:
        raise ProblemError(404, "Not found", f"No {kind.name} with id {record_id!r}.")
    before = _served(session, kind, row)
    current = etag(before.body)
    if if_match is not None and not if_match_holds(if_match, current):
        raise ProblemError(
            412,
            "Precondition failed",
            f"The {kind.name} changed since that ETag was served; GET it again (ETag {current}).",
            headers={"ETag": current},
        )
    counted_before = tally_groups(session, [(kind.name, record_id)])
    cited = resolve_citations(session, payload.citations)
    given = payload.model_dump(include=set(payload.model_fields_set) - WRITE_FIELDS)
    values = _current_values(session, kind, row) | given
    _check_references(session, kind, values)
    old_status = row.status
    status_changed = values["status"] != old_status
    effective = effective_date(session, kind, row, payload, status_changed)
    replace = replaces_citations(kind, row, payload, given, status_changed)
    # Read before the change overwrites the record's `since`.
    baseline = None
    if effective is not None and status_changed:
        baseline = baseline_event(session, kind, row, effective)
        given = dates_follow_status(kind, values["status"], effective, given)
    cited_before = record_citations(session, kind.name, record_id)
    _set_columns(kind, row, given)
    session.flush()
    _set_lists(session, kind, row, given)
    added = add_citations(session, kind.name, record_id, cited, replace=replace)
    session.flush()
    events: list[Event] = []
    if baseline is not None:
        events.append(add_event(session, kind, row, **baseline))
    if effective is not None:
        events.append(
            _dated_change(session, kind, row, payload, effective, old_status, cited, before)
        )
        if record_citations(session, kind.name, record_id) != cited_before:
            add_citations(session, SUPERSEDED, events[-1].id, cited_before)
        session.flush()
    # The derived data a write refreshes is not part of how a record is served.
    after = _served(session, kind, row)
    if after.state == before.state and not events and not added:
        # Nothing changed: nothing to record, and nothing for the other workers to reload.
        return Answer(200, before.body, {"ETag": current})
    key = (kind.name, record_id)
    changes = Changes(
        records=frozenset({key}),
        events=frozenset(e.id for e in events),
        counted_before=counted_before,
        documents={key: after.state},
    )
    refresh_derived(session, changes)
    audit = audit_entry(
        session,
        write,
        action="update",
        record_type=kind.name,
        record_id=record_id,
        before=before.state,
        after=after.state,
    )
    add_revision(
        session, record_type=kind.name, record_id=record_id, state=before.state, audit=audit
    )
    adopt(session, kind.name, record_id, audit)
    for event in events:
        adopt(session, "event", event.id, audit)
    return Answer(200, after.body, {"ETag": etag(after.body)})


def _dated_change(
    session: Session,
    kind: Kind,
    row: Any,
    payload: StatusChange,
    effective: str,
    old_status: str,
    cited: list[Cited],
    before: _Served,
) -> Event:
    """The dated event a change becomes: of the status, or of the other fields only, with
    the fields it set (`app.changes`). A date given to a write that changes nothing dated is
    a 422."""
    now = fields_of(row, kind.out) | current_lists(session, kind, row)
    fields = changed_fields(kind.history_fields, json.loads(before.state), now)
    of_status = row.status != old_status
    if not fields and not of_status:
        raise invalid_body(
            ("effective", "only a dated change takes it: the write changes no field it dates")
        )
    title = getattr(row, kind.title)
    summary = f"{title}: {old_status} → {row.status}"
    if not of_status:
        summary = f"{title}: {', '.join(fields)} changed"
    event = add_event(
        session,
        kind,
        row,
        date=effective,
        kind_of_event=payload.event_kind
        or (kind.event_kinds[row.status] if of_status else "statement"),
        summary=payload.event_summary or summary,
        before=old_status if of_status else None,
        cited=cited,
        of_status=of_status,
    )
    event.changes = encode(fields)
    return event


def _current_values(session: Session, kind: Kind, row: Any) -> dict[str, Any]:
    """A record's columns and listed values as they are."""
    values = {column: getattr(row, column) for column in kind.columns}
    return values | current_lists(session, kind, row)
