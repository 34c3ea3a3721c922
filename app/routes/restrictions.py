"""Measures on people, vehicles, goods, visas, transit and inspections."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app import answers, presenters, queries
from app.db import DatabaseDep, SessionDep
from app.paging import decode_cursor
from app.problems import not_found, problem_responses
from app.routes.params import AsOf, CountryFilter, CursorParam, Limit
from app.schemas import (
    JSON_MEDIA_TYPE,
    RestrictionDetail,
    RestrictionKind,
    RestrictionsPage,
    RestrictionStatus,
)

router = APIRouter(prefix="/restrictions", tags=["restrictions"])


@router.get("", response_model=RestrictionsPage, responses=problem_responses(304, 422))
async def list_restrictions(
    db: DatabaseDep,
    country: CountryFilter,
    as_of: AsOf,
    kind: Annotated[RestrictionKind | None, Query(description="What the measure is on.")] = None,
    status: Annotated[
        RestrictionStatus | None, Query(description="Status (as of `as_of` when given).")
    ] = None,
    q: Annotated[
        str | None, Query(description="Words in the summary, any case.", max_length=200)
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Restrictions, each with the countries it applies to, its dates and provenance.

    With `as_of`, only measures that existed on that date are listed, with their status then.
    """
    after = decode_cursor(cursor)
    body = await db.run(
        lambda session: answers.restrictions(
            session,
            country=country,
            as_of=as_of,
            kind=kind,
            status=status,
            q=q,
            limit=limit,
            after=after,
        )
    )
    return Response(body, media_type=JSON_MEDIA_TYPE)


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
