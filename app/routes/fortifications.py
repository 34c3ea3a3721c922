"""Fences, walls, bunker lines, minefields, anti-tank barriers and surveillance upgrades."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field

from app import presenters, queries
from app.db import SessionDep
from app.problems import not_found, problem_responses
from app.routes.params import (
    ListQuery,
    country_code,
    decode_cursor,
    documents_response,
    on_neighbour_side,
    query_model,
    query_parameters,
)
from app.schemas import (
    FortificationDetail,
    FortificationKind,
    FortificationOut,
    FortificationStatus,
    Meta,
    Page,
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
    responses=problem_responses(304, 422),
    openapi_extra=query_parameters(FortificationsQuery),
)
async def list_fortifications(
    request: Request, params: Annotated[FortificationsQuery, query_model(FortificationsQuery)]
) -> Response:
    """Fortification projects, including rejected ones, with figures and provenance."""
    after = decode_cursor(params.cursor)
    country = await country_code(request, "country", params.country)
    list_filter = queries.fortification_filter(
        country=country,
        kind=params.kind,
        status=params.status,
        q=params.q,
        country_is_neighbour=await on_neighbour_side(request, country),
    )
    limit = params.limit
    return await documents_response(
        request.app.state.database,
        list_filter,
        after=after,
        limit=limit,
        meta=lambda total, next_cursor: Meta(total=total, limit=limit, next=next_cursor),
    )


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
