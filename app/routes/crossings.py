"""Border checkpoints."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import Session

from app import curation, presenters, queries
from app.auth import CuratorDep
from app.db import DatabaseDep, SessionDep
from app.history import StatusOnDate
from app.models import Crossing
from app.payloads import CrossingCreate, CrossingPatch
from app.problems import invalid_parameter, not_found, problem_responses
from app.routes.params import (
    AsOf,
    CountryFilter,
    CursorParam,
    Limit,
    NeighbourFilter,
    after_cursor,
    country_roles,
    decode_cursor,
    detail_response,
    documents_response,
    memo,
    page_of,
)
from app.routes.writing import IdempotencyKeyHeader, IfMatchHeader, revisions_page, run_write
from app.schemas import (
    JSON_MEDIA_TYPE,
    BorderStatusNote,
    CrossingDetail,
    CrossingsMeta,
    CrossingsPage,
    CrossingStatus,
    Page,
    RevisionOut,
    Traffic,
)
from app.seed import fold

router = APIRouter(prefix="/crossings", tags=["crossings"])


@router.get("", response_model=CrossingsPage, responses=problem_responses(304, 422))
async def list_crossings(
    request: Request,
    db: DatabaseDep,
    country: CountryFilter,
    neighbour: NeighbourFilter,
    as_of: AsOf,
    status: Annotated[
        CrossingStatus | None, Query(description="Status (as of `as_of` when given).")
    ] = None,
    traffic: Annotated[Traffic | None, Query(description="Allowed traffic.")] = None,
    q: Annotated[
        str | None,
        Query(
            description="Name or any alias; ignores case, diacritics, spaces and dashes.",
            examples=["Sturskug"],
            max_length=200,
        ),
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Border checkpoints, each with its status, allowed traffic and provenance."""
    after = decode_cursor(cursor)
    q_key = fold(q) if q is not None else None
    if q is not None and not q_key:
        raise invalid_parameter("q", "needs at least one letter or digit")
    neighbour_side = country is not None and (await country_roles(request))[country] == "neighbour"
    return await db.run(
        lambda session: _crossings_answer(
            request,
            session,
            country=country,
            neighbour_side=neighbour_side,
            neighbour=neighbour,
            as_of=as_of,
            status=status,
            traffic=traffic,
            q_key=q_key,
            limit=limit,
            after=after,
        )
    )


def _crossings_answer(
    request: Request,
    session: Session,
    *,
    country: str | None,
    neighbour_side: bool,
    neighbour: str | None,
    as_of: dt.date | None,
    status: str | None,
    traffic: str | None,
    q_key: str | None,
    limit: int,
    after: str | None,
) -> Response:
    conditions = queries.crossing_conditions(
        country=country,
        country_is_neighbour=neighbour_side,
        neighbour=neighbour,
        status=None if as_of else status,
        traffic=traffic,
        q_key=q_key,
    )
    notes: list[BorderStatusNote] = []
    if q_key is None and traffic is None:
        notes = [
            note
            for note in memo(
                request,
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
        return documents_response(
            session, Crossing, conditions, after=after, limit=limit, meta=meta
        )
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
    return Response(page.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE)


NO_NAMED_CROSSING = (
    "The sources name no checkpoint on this border; its border-level status is in "
    "meta.border_statuses."
)


def _status(statuses: dict[str, StatusOnDate | None], record_id: str) -> str:
    state = statuses[record_id]
    return state.status if state else "unknown"


def _unnamed_border_statuses(
    session: SessionDep, country: str | None, neighbour: str | None, as_of: dt.date | None
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


@router.get("/{crossing_id}", response_model=CrossingDetail, responses=problem_responses(304, 404))
def get_crossing(
    session: SessionDep,
    crossing_id: Annotated[str, Path(description="The crossing's slug.", examples=["storskog"])],
) -> Response:
    """One crossing, with its dated status history and any facts about it."""
    crossing = queries.crossing(session, crossing_id=crossing_id)
    if crossing is None:
        raise not_found("crossing", crossing_id)
    return detail_response(presenters.crossing_detail(session, crossing))


WRITE_PROBLEMS = problem_responses(401, 403, 409, 422, 429)


@router.post(
    "",
    status_code=201,
    response_model=CrossingDetail,
    responses=WRITE_PROBLEMS,
    response_description="The new crossing, with its ETag and Location.",
)
async def create_crossing(
    request: Request,
    curator: CuratorDep,
    body: CrossingCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a crossing (curators only): its id comes from its name; it cites at least one quote."""
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.create_record(
            session, write, kind_name="crossing", payload=body
        ),
    )


@router.patch(
    "/{crossing_id}",
    response_model=CrossingDetail,
    responses=problem_responses(401, 403, 404, 412, 422, 429),
    response_description="The crossing as it is now, with its new ETag.",
)
async def update_crossing(
    request: Request,
    curator: CuratorDep,
    crossing_id: Annotated[str, Path(description="The crossing's slug.", examples=["storskog"])],
    body: CrossingPatch,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Change a crossing (curators only), citing the news; a status change becomes a dated event."""
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.update_record(
            session,
            write,
            kind_name="crossing",
            record_id=crossing_id,
            payload=body,
            if_match=if_match,
        ),
    )


@router.get(
    "/{crossing_id}/revisions",
    response_model=Page[RevisionOut],
    responses=problem_responses(304, 404),
)
def crossing_revisions(
    session: SessionDep,
    crossing_id: Annotated[str, Path(description="The crossing's slug.", examples=["storskog"])],
) -> Page[RevisionOut]:
    """Every earlier state of a crossing, as it was served, oldest first."""
    if queries.crossing(session, crossing_id=crossing_id) is None:
        raise not_found("crossing", crossing_id)
    return revisions_page(session, record_type="crossing", record_id=crossing_id)
