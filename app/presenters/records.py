"""Crossings, restrictions and fortifications as served, built from their kind's declaration.

Each function loads what a whole list needs in a fixed number of queries (listed values,
citations, events ...), so no list costs one query per record. The write API answers with the
detail's bytes, so the ETag a PATCH returns is the one a GET gives.
"""

import datetime as dt
import json
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from app.changes import SUPERSEDED, fields_on
from app.dated import FRESHNESS, state_of, statuses_at, today
from app.history import StatusOnDate, newest
from app.kinds import Kind
from app.presenters.evidence import facts_about, fields_of, history_of
from app.queries.events import changed_since, fields_changes
from app.queries.lists import ListFilter, documents_after, records_after, records_page
from app.queries.provenance import load_provenance
from app.queries.records import load_lists, records, stored_statuses


def present(
    session: Session,
    kind: Kind,
    rows: Sequence[Any],
    *,
    as_of: dt.date | None = None,
    statuses: dict[str, StatusOnDate | None] | None = None,
) -> list[BaseModel]:
    """Records as lists serve them, as they stood on `as_of` (today when not given): their
    fields and citations with the later changes undone (`app.changes`), their status from
    their history (`statuses`, from `app.dated.statuses_at` for that date,
    when the caller has them), what it rests on, and how old that is."""
    on = as_of or today()
    ids = [row.id for row in rows]
    lists = load_lists(session, kind, ids)
    cited = load_provenance(session, record_type=kind.name, record_ids=ids)
    if kind.status is not None and statuses is None:
        published = {i: sorted({c["published"] for c in cited[i] if c["published"]}) for i in ids}
        statuses = statuses_at(session, rows, as_of=on, published=published)
    changes = fields_changes(session, subject_type=kind.name, subject_ids=ids)
    past = {
        row.id: fields_on(
            fields_of(row, kind.out)
            | {name: found.get(row.id, []) for name, found in lists.items()},
            changes.get(row.id, []),
            on,
        )
        for row in rows
    }
    replaced = [p.cited_before for p in past.values() if p.cited_before is not None]
    superseded = load_provenance(session, record_type=SUPERSEDED, record_ids=replaced)
    result = []
    for row in rows:
        values = past[row.id].values
        if (before := past[row.id].cited_before) is not None:
            cited[row.id] = superseded[before]
        if kind.status is not None and statuses is not None:
            values |= kind.status.fields(state_of(row, statuses))
        else:
            values["last_reported"] = newest(
                [c["published"] for c in cited[row.id] if c["published"]]
            )
        values["stale"] = FRESHNESS.stale(values["last_reported"], on)
        values["provenance"] = cited[row.id]
        result.append(kind.out.model_validate(values))
    return result


def present_on_date(
    session: Session, kind: Kind, rows: Sequence[Any], on: dt.date
) -> list[BaseModel]:
    """`present(as_of=on)`, read where it can be off what is stored: a record none of whose
    changes holds only after `on` is its stored document with its status then, as its status
    periods keep it; the others are presented from their history."""
    if kind.status is None:
        return present(session, kind, rows, as_of=on)
    ids = [row.id for row in rows]
    statuses: dict[str, StatusOnDate | None] = {**stored_statuses(session, kind, ids, on)}
    later = fields_changes(session, subject_type=kind.name, subject_ids=ids)
    plain = {
        row.id
        for row in rows
        if row.doc is not None
        and not any(change.holds_from > on for change in later.get(row.id, []))
    }
    others = [row for row in rows if row.id not in plain]
    found = {
        record_id(out): out
        for out in (present(session, kind, others, as_of=on, statuses=statuses) if others else [])
    }
    for row in rows:
        if row.id in plain:
            values = json.loads(row.doc) | kind.status.fields(state_of(row, statuses))
            values["stale"] = FRESHNESS.stale(values["last_reported"], on)
            found[row.id] = kind.out.model_validate(values)
    return [found[row.id] for row in rows]


record_id: Callable[[BaseModel], str] = attrgetter("id")
"""The id of a presented record, whatever its kind."""


def listed_on_date(
    session: Session, list_filter: ListFilter, *, date: dt.date, after: str | None, limit: int
) -> tuple[list[BaseModel], int]:
    """Up to `limit` records of a list after the id `after`, in id order, as they stood on
    `date`, and how many match in all. Its filters on fields read the values the records had
    then: a record with a change since is matched as it was served on the date."""
    kind = list_filter.kind
    changed = (
        changed_since(session, subject_type=kind.name, date=date)
        if list_filter.on_fields
        else set()
    )
    rows, total = records_page(
        session, list_filter=list_filter, after=after, limit=limit, excluding=changed
    )
    outs = present_on_date(session, kind, rows, date)
    if changed:
        then = [
            out
            for out in present(
                session,
                kind,
                records_after(
                    session,
                    list_filter=list_filter.dates_only(),
                    after=None,
                    limit=len(changed),
                    only=changed,
                ),
                as_of=date,
            )
            if list_filter.holds(out)
        ]
        total += len(then)
        later = [out for out in then if after is None or record_id(out) > after]
        outs = sorted([*outs, *later], key=record_id)[:limit]
    return outs, total


def detail(session: Session, kind: Kind, row: Any, as_of: dt.date | None = None) -> BaseModel:
    """One record as its detail endpoint serves it, as it stood on `as_of` (today when not
    given): with its dated history, and the facts about it where the kind has them."""
    (out,) = present(session, kind, [row], as_of=as_of)
    extra: dict[str, Any] = {
        "history": history_of(session, subject_type=kind.name, subject_id=row.id, as_of=as_of)
    }
    if "facts" in kind.detail.model_fields:
        extra["facts"] = facts_about(session, subject_type=kind.name, subject_id=row.id)
    return kind.detail(**dict(out), **extra)


def as_listed(kind: Kind, out: BaseModel) -> BaseModel:
    """A record's detail (`detail`) as lists serve it: without the detail's own fields."""
    return kind.out.model_validate({name: getattr(out, name) for name in kind.out.model_fields})


def render(out: BaseModel) -> str:
    """An answer's JSON text: a stored document."""
    return out.model_dump_json()


def documents_of(session: Session, kind: Kind, page: Sequence[tuple[str, str | None]]) -> list[str]:
    """The documents of a page of (id, stored document) rows, building any not stored yet."""
    missing = [key for key, doc in page if doc is None]
    built: dict[str, str] = {}
    if missing:
        rows = records(session, kind, missing)
        built = {
            r.id: render(out) for r, out in zip(rows, present(session, kind, rows), strict=True)
        }
    return [doc if doc is not None else built[key] for key, doc in page]


def served_now(session: Session, list_filter: ListFilter, limit: int) -> list[Any]:
    """The first `limit` records of a list as lists serve them today: their stored documents
    (built where missing), as of today's date, read back as the kind's answer models."""
    kind = list_filter.kind
    docs = documents_of(session, kind, documents_after(session, list_filter, after="", limit=limit))
    on = today()
    return [kind.out.model_validate_json(FRESHNESS.restamp(doc, on)) for doc in docs]
