"""The answers of the list and lookup endpoints, exactly as the API sends them.

The routes and the `borderstatus` lookup commands both build their answers here, from the
queries and presenters, so a script and a frontend get the same answer for the same filters.
Functions take (session, *, filters already validated) and return the JSON body, or the
response model the route serialises.
"""

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import Session

from app import presenters, queries
from app.documents import fill_missing
from app.history import StatusOnDate
from app.models import Crossing, Fortification, Restriction
from app.paging import after_cursor, page_of
from app.problems import invalid_parameter, not_found
from app.schemas import (
    BorderOut,
    BorderStatusNote,
    CrossingsMeta,
    CrossingsPage,
    DatedMeta,
    FactOut,
    Meta,
    Page,
    RestrictionsPage,
    SentenceOut,
)
from app.seed import fold

T = TypeVar("T")
# `remember(key, compute)`: compute once per data version (the app's memo), or every time.
Remember = Callable[[Hashable, Callable[[], T]], T]

NO_NAMED_CROSSING = (
    "The sources name no checkpoint on this border; its border-level status is in "
    "meta.border_statuses."
)


def _compute(_key: Hashable, compute: Callable[[], T]) -> T:
    return compute()


def documents_body(
    session: Session,
    model: Any,
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
    meta: Callable[[int, str | None], Meta],
) -> bytes:
    """A list page from the records' stored documents, without re-serialising them.

    `meta(total, next_cursor)` builds the page's meta. The bytes are what the response model
    would give: `{"data": [...], "meta": {...}}`.
    """
    rows, total = queries.documents_page(session, model, conditions, after=after, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda row: row[0])
    docs = fill_missing(session, model, rows)
    body = (
        '{"data":['
        + ",".join(docs)
        + '],"meta":'
        + meta(total, next_cursor).model_dump_json()
        + "}"
    )
    return body.encode()


def crossings(
    session: Session,
    *,
    country: str | None = None,
    country_is_neighbour: bool = False,
    neighbour: str | None = None,
    as_of: dt.date | None = None,
    status: str | None = None,
    traffic: str | None = None,
    q: str | None = None,
    limit: int = 100,
    after: str | None = None,
    remember: Remember[list[BorderStatusNote]] = _compute,
) -> bytes:
    """`/v1/crossings`: checkpoints, and the border-level status of borders none is named on."""
    q_key = fold(q) if q is not None else None
    if q is not None and not q_key:
        raise invalid_parameter("q", "needs at least one letter or digit")
    conditions = queries.crossing_conditions(
        country=country,
        country_is_neighbour=country_is_neighbour,
        neighbour=neighbour,
        status=None if as_of else status,
        traffic=traffic,
        q_key=q_key,
    )
    notes: list[BorderStatusNote] = []
    if q_key is None and traffic is None:
        notes = [
            note
            for note in remember(
                ("unnamed_borders", country, neighbour, as_of),
                lambda: _unnamed_border_statuses(session, country, neighbour, as_of),
            )
            if status is None or note.status == status
        ]

    def meta(total: int, next_cursor: str | None) -> CrossingsMeta:
        return CrossingsMeta(
            total=total,
            limit=limit,
            next=next_cursor,
            as_of=as_of.isoformat() if as_of else None,
            border_statuses=notes,
            note=NO_NAMED_CROSSING if notes and total == 0 else None,
        )

    if as_of is None:
        return documents_body(session, Crossing, conditions, after=after, limit=limit, meta=meta)
    # The status on a date comes from each crossing's history, so filter before paging.
    candidates = queries.crossings_all(session, conditions=conditions)
    statuses = presenters.statuses_at(session, candidates, as_of=as_of)
    matching = [c for c in candidates if status is None or _status(statuses, c.id) == status]
    rows, next_cursor = page_of(
        after_cursor(matching, after=after, limit=limit), limit=limit, key=lambda c: c.id
    )
    page = CrossingsPage(
        data=presenters.crossings(session, rows, statuses=statuses),
        meta=meta(len(matching), next_cursor),
    )
    return page.model_dump_json().encode()


def _status(statuses: dict[str, StatusOnDate | None], record_id: str) -> str:
    state = statuses[record_id]
    return state.status if state else "unknown"


def _unnamed_border_statuses(
    session: Session, country: str | None, neighbour: str | None, as_of: dt.date | None
) -> list[BorderStatusNote]:
    """Border-level statuses of the borders in scope whose checkpoints no source names."""
    borders = [
        b
        for b in queries.borders(session, country=country)
        if (neighbour is None or b.neighbour == neighbour) and b.status != "unknown"
    ]
    counts = queries.crossing_counts(session, border_ids=[b.id for b in borders])
    unnamed = [b for b in borders if not counts.get(b.id)]
    cited = queries.load_provenance(
        session, record_type="border", record_ids=[b.id for b in unnamed]
    )
    statuses = presenters.statuses_at(session, unnamed, as_of=as_of) if as_of else None
    notes = []
    for b in unnamed:
        state = presenters.state_of(b, statuses)
        notes.append(
            BorderStatusNote(
                border_id=b.id,
                status=state.status,
                status_since=state.since,
                summary=b.summary,
                provenance=presenters.provenance(cited[b.id]),
            )
        )
    return notes


def restrictions(
    session: Session,
    *,
    country: str | None = None,
    as_of: dt.date | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> bytes:
    """`/v1/restrictions`; with `as_of`, only the measures that existed then, as they stood."""
    conditions = queries.restriction_conditions(
        country=country, kind=kind, status=None if as_of else status, q=q
    )

    def meta(total: int, next_cursor: str | None) -> DatedMeta:
        return DatedMeta(
            total=total,
            limit=limit,
            next=next_cursor,
            as_of=as_of.isoformat() if as_of else None,
        )

    if as_of is None:
        return documents_body(session, Restriction, conditions, after=after, limit=limit, meta=meta)
    candidates = queries.restrictions_all(session, conditions=conditions)
    statuses = presenters.statuses_at(session, candidates, as_of=as_of)
    for r in candidates:
        state = statuses[r.id]
        if state and state.status == "in_force" and r.until_start and r.until_start <= as_of:
            statuses[r.id] = StatusOnDate("lifted", r.until)
    # A measure that didn't exist yet on that date is not listed.
    matching = [
        r
        for r in candidates
        if (state := statuses[r.id]) is not None and status in (None, state.status)
    ]
    rows, next_cursor = page_of(
        after_cursor(matching, after=after, limit=limit), limit=limit, key=lambda r: r.id
    )
    page = RestrictionsPage(
        data=presenters.restrictions(session, rows, statuses=statuses),
        meta=meta(len(matching), next_cursor),
    )
    return page.model_dump_json().encode()


def fortifications(
    session: Session,
    *,
    country: str | None = None,
    country_is_neighbour: bool = False,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> bytes:
    """`/v1/fortifications`: a neighbour's code lists what is built facing it."""
    conditions = queries.fortification_conditions(
        country=country,
        kind=kind,
        status=status,
        q=q,
        country_is_neighbour=country_is_neighbour,
    )
    return documents_body(
        session,
        Fortification,
        conditions,
        after=after,
        limit=limit,
        meta=lambda total, next_cursor: Meta(total=total, limit=limit, next=next_cursor),
    )


def borders(session: Session, *, country: str | None = None) -> Page[BorderOut]:
    """`/v1/borders`: every border, with its status, crossing counts and facts."""
    rows = queries.borders(session, country=country)
    return Page[BorderOut](
        data=presenters.borders(session, rows),
        meta=Meta(total=len(rows), limit=len(rows), next=None),
    )


def conflicts(session: Session, *, limit: int = 100, after: str | None = None) -> Page[FactOut]:
    """`/v1/conflicts`: every disputed fact, each claim with its provenance."""
    rows, total = queries.disputed_facts_page(session, after=after, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda f: f.id)
    return Page[FactOut](
        data=presenters.facts(session, rows),
        meta=Meta(total=total, limit=limit, next=next_cursor),
    )


def sentence(session: Session, *, file: str, index: int) -> SentenceOut:
    """`/v1/sources/{file}/sentences/{index}`: a sentence and every record citing it."""
    found = queries.sentence(session, file=file, index=index)
    if found is None:
        raise not_found("sentence", f"{file}#{index}")
    citations = queries.citations_of_sentences(session, file=file, indices=[index])
    return presenters.sentence(found, citations.get(index, []))
