"""Fences, walls, bunker lines, minefields, anti-tank barriers and surveillance upgrades."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from app import curation, exports, presenters, queries
from app.auth import CuratorDep
from app.db import Database, SessionDep
from app.payloads import FortificationCreate, FortificationPatch
from app.problems import not_found, problem_responses
from app.routes.formats import CSV_RESPONSE, VARY, csv_page, csv_stream, wants_csv, whole_list
from app.routes.params import (
    ListQuery,
    country_code,
    detail_response,
    documents_body,
    on_neighbour_side,
    paging,
    query_model,
    query_parameters,
    read_documents,
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
    FortificationDetail,
    FortificationKind,
    FortificationOut,
    FortificationStatus,
    Meta,
    Page,
    RevisionOut,
)

router = APIRouter(prefix="/fortifications", tags=["fortifications"])


class FortificationsQuery(ListQuery):
    country: str | None = Field(
        None,
        max_length=8,
        description="ISO 3166-1 alpha-2 code, any case: the country building it, or for RU and "
        "BY the neighbour it faces.",
        examples=["LT"],
    )
    kind: FortificationKind | None = Field(None, description="What is built.")
    status: FortificationStatus | None = Field(None, description="Project status.")
    q: str | None = Field(None, max_length=200, description="Words in the summary, any case.")


@router.get(
    "",
    response_model=Page[FortificationOut],
    responses={**problem_responses(304, 422), **CSV_RESPONSE},
    openapi_extra=query_parameters(FortificationsQuery),
)
async def list_fortifications(
    request: Request, params: Annotated[FortificationsQuery, query_model(FortificationsQuery)]
) -> Response:
    """Fortification projects, including rejected ones, with figures and provenance."""
    place = paging(request, params.cursor)
    country = await country_code(request, "country", params.country)
    list_filter = queries.fortification_filter(
        country=country,
        kind=params.kind,
        status=params.status,
        q=params.q,
        country_is_neighbour=await on_neighbour_side(request, country),
    )
    database: Database = request.app.state.database
    csv = wants_csv(request, params.format)
    if csv and whole_list(request):
        batches = exports.documents(database.engine, list_filter)
        return await run_in_threadpool(csv_stream, exports.FORTIFICATIONS, batches)
    docs, total, next_cursor = await read_documents(
        database, list_filter, paging=place, limit=params.limit
    )
    if csv:
        return csv_page(request, exports.FORTIFICATIONS, docs, next_cursor)
    body = documents_body(docs, Meta(total=total, limit=params.limit, next=next_cursor))
    return Response(body, media_type=JSON_MEDIA_TYPE, headers=VARY)


@router.get(
    "/{fortification_id}",
    response_model=FortificationDetail,
    responses=problem_responses(304, 404),
)
def get_fortification(
    session: SessionDep,
    fortification_id: Annotated[
        str, Path(description="The project's slug.", examples=["fi-border-fence"])
    ],
) -> Response:
    """One fortification project, with its dated history and facts."""
    fortification = queries.fortification(session, fortification_id=fortification_id)
    if fortification is None:
        raise not_found("fortification", fortification_id)
    return detail_response(presenters.fortification_detail(session, fortification))


WRITE_PROBLEMS = problem_responses(401, 403, 409, 422, 429)


@router.post(
    "",
    status_code=201,
    response_model=FortificationDetail,
    responses=WRITE_PROBLEMS,
    response_description="The new fortification, with its ETag and Location.",
)
async def create_fortification(
    request: Request,
    curator: CuratorDep,
    body: FortificationCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a fortification project (curators only): its id comes from its summary; it is cited."""
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.create_record(
            session, write, kind_name="fortification", payload=body
        ),
    )


@router.patch(
    "/{fortification_id}",
    response_model=FortificationDetail,
    responses=problem_responses(401, 403, 404, 412, 422, 428, 429),
    openapi_extra=IF_MATCH_PARAMETER,
    response_description="The fortification as it is now, with its new ETag.",
)
async def update_fortification(
    request: Request,
    curator: CuratorDep,
    fortification_id: Annotated[
        str, Path(description="The project's slug.", examples=["fi-border-fence"])
    ],
    body: FortificationPatch,
    if_match: IfMatchHeader,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Change a fortification project (curators only), cited; a status change becomes an event.

    Send the ETag you read in If-Match: a 428 without it, a 412 if the project changed since.
    """
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.update_record(
            session,
            write,
            kind_name="fortification",
            record_id=fortification_id,
            payload=body,
            if_match=if_match,
        ),
    )


@router.get(
    "/{fortification_id}/revisions",
    response_model=Page[RevisionOut],
    responses=problem_responses(304, 404),
)
def fortification_revisions(
    session: SessionDep,
    fortification_id: Annotated[
        str, Path(description="The project's slug.", examples=["fi-border-fence"])
    ],
) -> Page[RevisionOut]:
    """Every earlier state of a fortification project, as it was served, oldest first."""
    if queries.fortification(session, fortification_id=fortification_id) is None:
        raise not_found("fortification", fortification_id)
    return revisions_page(session, record_type="fortification", record_id=fortification_id)
