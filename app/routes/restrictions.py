"""Measures on people, vehicles, goods, visas, transit and inspections."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field
from sqlmodel import Session

from app import presenters, queries
from app.db import Database, SessionDep
from app.history import StatusOnDate
from app.models import Restriction
from app.problems import not_found, problem_responses
from app.routes.params import (
    AS_OF_HELP,
    COUNTRY_HELP,
    ListQuery,
    country_code,
    decode_cursor,
    documents_response,
    page_of,
    partial_date_param,
    query_model,
    query_parameters,
)
from app.schemas import (
    JSON_MEDIA_TYPE,
    DatedMeta,
    RestrictionDetail,
    RestrictionKind,
    RestrictionsPage,
    RestrictionStatus,
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
    responses=problem_responses(304, 422),
    openapi_extra=query_parameters(RestrictionsQuery),
)
async def list_restrictions(
    request: Request, params: Annotated[RestrictionsQuery, query_model(RestrictionsQuery)]
) -> Response:
    """Restrictions, each with the countries it applies to, its dates and provenance.

    With `as_of`, only measures that existed on that date are listed, with their status then.
    """
    after = decode_cursor(params.cursor)
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
    if as_of is None:
        return await documents_response(database, list_filter, after=after, limit=limit, meta=meta)
    return await database.run(
        lambda session: _restrictions_as_of(
            session,
            list_filter,
            as_of=as_of,
            status=params.status,
            after=after,
            limit=limit,
            meta=meta,
        )
    )


def _restrictions_as_of(
    session: Session,
    list_filter: queries.ListFilter,
    *,
    as_of: dt.date,
    status: str | None,
    after: str | None,
    limit: int,
    meta: Callable[[int, str | None], DatedMeta],
) -> Response:
    def then(restriction: Restriction, state: StatusOnDate | None) -> StatusOnDate | None:
        """Its status on the date; None if it did not exist yet (then it is not listed)."""
        until = restriction.until_start
        if state and state.status == "in_force" and until and until <= as_of:
            return StatusOnDate("lifted", restriction.until)
        return state

    rows, statuses, total = presenters.page_as_of(
        session,
        list_filter,
        as_of=as_of,
        keep=lambda r, state: (
            (found := then(r, state)) is not None and status in (None, found.status)
        ),
        after=after,
        limit=limit + 1,
    )
    statuses = {r.id: then(r, statuses[r.id]) for r in rows}
    rows, next_cursor = page_of(rows, limit=limit, key=lambda r: r.id)
    page = RestrictionsPage(
        data=presenters.restrictions(session, rows, statuses=statuses),
        meta=meta(total, next_cursor),
    )
    return Response(page.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE)


@router.get(
    "/{restriction_id}", response_model=RestrictionDetail, responses=problem_responses(304, 404)
)
def get_restriction(
    session: SessionDep,
    restriction_id: Annotated[
        str, Path(description="The restriction's slug.", examples=["no-russian-plated-cars-ban"])
    ],
) -> RestrictionDetail:
    """One restriction, with its dated history."""
    restriction = queries.restriction(session, restriction_id=restriction_id)
    if restriction is None:
        raise not_found("restriction", restriction_id)
    (out,) = presenters.restrictions(session, [restriction])
    return RestrictionDetail(
        **out.model_dump(),
        history=presenters.history_of(
            session, subject_type="restriction", subject_id=restriction.id
        ),
    )
