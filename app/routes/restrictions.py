"""Measures on people, vehicles, goods, visas, transit and inspections."""

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
from app.history import StatusOnDate
from app.models import Restriction
from app.payloads import RestrictionCreate, RestrictionPatch
from app.problems import not_found, problem_responses
from app.routes.formats import CSV_RESPONSE, VARY, csv_page, csv_stream, wants_csv, whole_list
from app.routes.params import (
    AS_OF_HELP,
    COUNTRY_HELP,
    ListQuery,
    Paging,
    country_code,
    detail_response,
    documents_body,
    page_of,
    paging,
    partial_date_param,
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
    DatedMeta,
    Page,
    RestrictionDetail,
    RestrictionKind,
    RestrictionsPage,
    RestrictionStatus,
    RevisionOut,
)

router = APIRouter(prefix="/restrictions", tags=["restrictions"])


class RestrictionsQuery(ListQuery):
    country: str | None = Field(None, max_length=8, description=COUNTRY_HELP, examples=["NO"])
    kind: RestrictionKind | None = Field(None, description="What the measure is on.")
    status: RestrictionStatus | None = Field(None, description="Status (as of `as_of` when given).")
    q: str | None = Field(None, max_length=200, description="Words in the summary, any case.")
    as_of: str | None = Field(None, max_length=10, description=AS_OF_HELP, examples=["2023-11"])


@router.get(
    "",
    response_model=RestrictionsPage,
    responses={**problem_responses(304, 422), **CSV_RESPONSE},
    openapi_extra=query_parameters(RestrictionsQuery),
)
async def list_restrictions(
    request: Request, params: Annotated[RestrictionsQuery, query_model(RestrictionsQuery)]
) -> Response:
    """Restrictions, each with the countries it applies to, its dates and provenance.

    With `as_of`, only measures that existed on that date are listed, with their status then.
    """
    place = paging(request, params.cursor)
    country = await country_code(request, "country", params.country)
    as_of = partial_date_param("as_of", params.as_of, end=True)
    list_filter = queries.restriction_filter(
        country=country,
        kind=params.kind,
        status=None if as_of else params.status,
        q=params.q,
    )
    limit = params.limit

    def meta(total: int, next_cursor: str | None) -> DatedMeta:
        return DatedMeta(
            total=total,
            limit=limit,
            next=next_cursor,
            as_of=as_of.isoformat() if as_of else None,
        )

    database: Database = request.app.state.database
    csv = wants_csv(request, params.format)
    if csv and whole_list(request):
        if as_of is None:
            batches = exports.documents(database.engine, list_filter)
        else:
            date = as_of
            batches = exports.as_of(
                database.engine,
                queries.on_date(list_filter, date, params.status),
                date=date,
                present=lambda session, rows, found: presenters.restrictions(
                    session, rows, statuses=_states_on(date, rows, found)
                ),
            )
        return await run_in_threadpool(csv_stream, exports.RESTRICTIONS, batches)
    if as_of is None:
        docs, total, next_cursor = await read_documents(
            database, list_filter, paging=place, limit=limit
        )
        if csv:
            return csv_page(request, exports.RESTRICTIONS, docs, next_cursor)
        body = documents_body(docs, meta(total, next_cursor))
        return Response(body, media_type=JSON_MEDIA_TYPE, headers=VARY)
    date = as_of
    page = await database.run(
        lambda session: _restrictions_as_of(
            session,
            list_filter,
            as_of=date,
            status=params.status,
            place=place,
            limit=limit,
            meta=meta,
        )
    )
    if csv:
        records = [r.model_dump_json() for r in page.data]
        return csv_page(request, exports.RESTRICTIONS, records, page.meta.next)
    return Response(page.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE, headers=VARY)


def _states_on(
    as_of: dt.date, rows: list[Restriction], found: dict[str, StatusOnDate | None]
) -> dict[str, StatusOnDate | None]:
    """The restrictions' statuses on the date, from their histories' (`statuses_at`)."""
    return {r.id: presenters.restriction_state_on(as_of, r, found[r.id]) for r in rows}


def _restrictions_as_of(
    session: Session,
    list_filter: queries.ListFilter,
    *,
    as_of: dt.date,
    status: str | None,
    place: Paging,
    limit: int,
    meta: Callable[[int, str | None], DatedMeta],
) -> RestrictionsPage:
    # Listed are the restrictions that existed on the date (with that status then).
    listed = queries.on_date(list_filter, as_of, status)
    rows, total = queries.records_page(
        session, list_filter=listed, after=place.after, limit=limit + 1
    )
    statuses = _states_on(as_of, rows, presenters.statuses_at(session, rows, as_of=as_of))
    rows, next_cursor = page_of(rows, limit=limit, key=lambda r: r.id, paging=place)
    return RestrictionsPage(
        data=presenters.restrictions(session, rows, statuses=statuses),
        meta=meta(total, next_cursor),
    )


@router.get(
    "/{restriction_id}", response_model=RestrictionDetail, responses=problem_responses(304, 404)
)
def get_restriction(
    session: SessionDep,
    restriction_id: Annotated[
        str, Path(description="The restriction's slug.", examples=["no-russian-plated-cars-ban"])
    ],
) -> Response:
    """One restriction, with its dated history."""
    restriction = queries.restriction(session, restriction_id=restriction_id)
    if restriction is None:
        raise not_found("restriction", restriction_id)
    return detail_response(presenters.restriction_detail(session, restriction))


WRITE_PROBLEMS = problem_responses(401, 403, 409, 422, 429)


@router.post(
    "",
    status_code=201,
    response_model=RestrictionDetail,
    responses=WRITE_PROBLEMS,
    response_description="The new restriction, with its ETag and Location.",
)
async def create_restriction(
    request: Request,
    curator: CuratorDep,
    body: RestrictionCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a restriction (curators only): its id comes from its summary, and it cites a quote."""
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.create_record(
            session, write, kind_name="restriction", payload=body
        ),
    )


@router.patch(
    "/{restriction_id}",
    response_model=RestrictionDetail,
    responses=problem_responses(401, 403, 404, 412, 422, 428, 429),
    openapi_extra=IF_MATCH_PARAMETER,
    response_description="The restriction as it is now, with its new ETag.",
)
async def update_restriction(
    request: Request,
    curator: CuratorDep,
    restriction_id: Annotated[
        str, Path(description="The restriction's slug.", examples=["no-russian-plated-cars-ban"])
    ],
    body: RestrictionPatch,
    if_match: IfMatchHeader,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Change a restriction (curators only), citing the news; a status change becomes an event.

    Send the ETag you read in If-Match: a 428 without it, a 412 if the restriction changed since.
    """
    return await run_write(
        request,
        curator,
        idempotency_key=idempotency_key,
        work=lambda session, write: curation.update_record(
            session,
            write,
            kind_name="restriction",
            record_id=restriction_id,
            payload=body,
            if_match=if_match,
        ),
    )


@router.get(
    "/{restriction_id}/revisions",
    response_model=Page[RevisionOut],
    responses=problem_responses(304, 404),
)
def restriction_revisions(
    session: SessionDep,
    restriction_id: Annotated[
        str, Path(description="The restriction's slug.", examples=["no-russian-plated-cars-ban"])
    ],
) -> Page[RevisionOut]:
    """Every earlier state of a restriction, as it was served, oldest first."""
    if queries.restriction(session, restriction_id=restriction_id) is None:
        raise not_found("restriction", restriction_id)
    return revisions_page(session, record_type="restriction", record_id=restriction_id)
