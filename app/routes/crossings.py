"""Border checkpoints."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlmodel import Session

from app import curation, exports, presenters, queries
from app.auth import CuratorDep
from app.db import Database, SessionDep
from app.payloads import CrossingCreate, CrossingPatch
from app.problems import invalid_parameter, not_found, problem_responses
from app.routes.formats import CSV_RESPONSE, VARY, csv_page, csv_stream, wants_csv, whole_list
from app.routes.params import (
    AS_OF_HELP,
    COUNTRY_HELP,
    ListQuery,
    Paging,
    country_code,
    detail_response,
    documents_body,
    on_neighbour_side,
    page_of,
    paging,
    partial_date_param,
    query_model,
    query_parameters,
    read_documents,
    remembered,
)
from app.routes.writing import (
    IF_MATCH_PARAMETER,
    IdempotencyKeyHeader,
    IfMatchHeader,
    revisions_page,
    run_write,
)
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


class CrossingsQuery(ListQuery):
    country: str | None = Field(None, max_length=8, description=COUNTRY_HELP, examples=["LV"])
    neighbour: str | None = Field(
        None, max_length=8, description="The non-NATO side: RU or BY, any case.", examples=["RU"]
    )
    status: CrossingStatus | None = Field(None, description="Status (as of `as_of` when given).")
    traffic: Traffic | None = Field(None, description="Allowed traffic.")
    q: str | None = Field(
        None,
        max_length=200,
        description="Name or any alias; ignores case, diacritics, spaces and dashes.",
        examples=["Sturskug"],
    )
    as_of: str | None = Field(None, max_length=10, description=AS_OF_HELP, examples=["2023-11"])


@router.get(
    "",
    response_model=CrossingsPage,
    responses={**problem_responses(304, 422), **CSV_RESPONSE},
    openapi_extra=query_parameters(CrossingsQuery),
)
async def list_crossings(
    request: Request, params: Annotated[CrossingsQuery, query_model(CrossingsQuery)]
) -> Response:
    """Border checkpoints, each with its status, allowed traffic and provenance."""
    place = paging(request, params.cursor)
    country = await country_code(request, "country", params.country)
    neighbour = await country_code(request, "neighbour", params.neighbour)
    as_of = partial_date_param("as_of", params.as_of, end=True)
    q_key = fold(params.q) if params.q is not None else None
    if params.q is not None and not q_key:
        raise invalid_parameter("q", "needs at least one letter or digit")
    list_filter = queries.crossing_filter(
        country=country,
        country_is_neighbour=await on_neighbour_side(request, country),
        neighbour=neighbour,
        status=None if as_of else params.status,
        traffic=params.traffic,
        q_key=q_key,
    )
    database: Database = request.app.state.database
    csv = wants_csv(request, params.format)
    if csv and whole_list(request):
        if as_of is None:
            batches = exports.documents(database.engine, list_filter)
        else:
            batches = exports.as_of(
                database.engine,
                _listed_on(list_filter, as_of, params.status),
                date=as_of,
                present=lambda session, rows, statuses: presenters.crossings(
                    session, rows, statuses=statuses
                ),
            )
        return await run_in_threadpool(csv_stream, exports.CROSSINGS, batches)
    notes: list[BorderStatusNote] = []
    if q_key is None and params.traffic is None:
        notes = [
            note
            for note in await remembered(
                request,
                ("unnamed_borders", country, neighbour, as_of),
                lambda session: _unnamed_border_statuses(session, country, neighbour, as_of),
            )
            if params.status is None or note.status == params.status
        ]
    limit = params.limit

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
        docs, total, next_cursor = await read_documents(
            database, list_filter, paging=place, limit=limit
        )
        if csv:
            return csv_page(request, exports.CROSSINGS, docs, next_cursor)
        body = documents_body(docs, meta(total, next_cursor))
        return Response(body, media_type=JSON_MEDIA_TYPE, headers=VARY)
    page = await database.run(
        lambda session: _crossings_as_of(
            session,
            list_filter,
            as_of=as_of,
            status=params.status,
            place=place,
            meta=meta,
            limit=limit,
        )
    )
    if csv:
        records = [c.model_dump_json() for c in page.data]
        return csv_page(request, exports.CROSSINGS, records, page.meta.next)
    return Response(page.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE, headers=VARY)


def _listed_on(
    list_filter: queries.ListFilter, as_of: dt.date, status: str | None
) -> queries.ListFilter:
    """The crossings listed on the date: all of them, `unknown` where the sources say nothing
    for it; with a status, those its status periods give it then."""
    return list_filter if status is None else queries.on_date(list_filter, as_of, status)


def _crossings_as_of(
    session: Session,
    list_filter: queries.ListFilter,
    *,
    as_of: dt.date,
    status: str | None,
    place: Paging,
    limit: int,
    meta: Callable[[int, str | None], CrossingsMeta],
) -> CrossingsPage:
    listed = _listed_on(list_filter, as_of, status)
    rows, total = queries.records_page(
        session, list_filter=listed, after=place.after, limit=limit + 1
    )
    statuses = presenters.statuses_at(session, rows, as_of=as_of)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda c: c.id, paging=place)
    return CrossingsPage(
        data=presenters.crossings(session, rows, statuses=statuses),
        meta=meta(total, next_cursor),
    )


NO_NAMED_CROSSING = (
    "The sources name no checkpoint on this border; its border-level status is in "
    "meta.border_statuses."
)


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
    responses=problem_responses(401, 403, 404, 412, 422, 428, 429),
    openapi_extra=IF_MATCH_PARAMETER,
    response_description="The crossing as it is now, with its new ETag.",
)
async def update_crossing(
    request: Request,
    curator: CuratorDep,
    crossing_id: Annotated[str, Path(description="The crossing's slug.", examples=["storskog"])],
    body: CrossingPatch,
    if_match: IfMatchHeader,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Change a crossing (curators only), citing the news; a status change becomes a dated event.

    Send the ETag you read in If-Match: a 428 without it, a 412 if the crossing changed since.
    """
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
