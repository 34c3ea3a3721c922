"""Fences, walls, bunker lines, minefields, anti-tank barriers and surveillance upgrades."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app import answers, presenters, queries
from app.db import DatabaseDep, SessionDep
from app.paging import decode_cursor
from app.problems import not_found, problem_responses
from app.routes.params import CountryFilter, CursorParam, Limit, country_roles
from app.schemas import (
    JSON_MEDIA_TYPE,
    FortificationDetail,
    FortificationKind,
    FortificationOut,
    FortificationStatus,
    Page,
)

router = APIRouter(prefix="/fortifications", tags=["fortifications"])


@router.get("", response_model=Page[FortificationOut], responses=problem_responses(304, 422))
async def list_fortifications(
    request: Request,
    db: DatabaseDep,
    country: CountryFilter,
    kind: Annotated[FortificationKind | None, Query(description="What is built.")] = None,
    status: Annotated[FortificationStatus | None, Query(description="Project status.")] = None,
    q: Annotated[
        str | None, Query(description="Words in the summary, any case.", max_length=200)
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Fortification projects, including rejected ones, with figures and provenance."""
    roles = await country_roles(request)
    neighbour_side = country is not None and roles[country] == "neighbour"
    after = decode_cursor(cursor)
    body = await db.run(
        lambda session: answers.fortifications(
            session,
            country=country,
            country_is_neighbour=neighbour_side,
            kind=kind,
            status=status,
            q=q,
            limit=limit,
            after=after,
        )
    )
    return Response(body, media_type=JSON_MEDIA_TYPE)


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
) -> FortificationDetail:
    """One fortification project, with its dated history and facts."""
    fortification = queries.fortification(session, fortification_id=fortification_id)
    if fortification is None:
        raise not_found("fortification", fortification_id)
    (out,) = presenters.fortifications(session, [fortification])
    return FortificationDetail(
        **out.model_dump(),
        history=presenters.history_of(
            session, subject_type="fortification", subject_id=fortification.id
        ),
        facts=presenters.facts_about(
            session, subject_type="fortification", subject_id=fortification.id
        ),
    )
