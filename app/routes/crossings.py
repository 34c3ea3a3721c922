"""Border checkpoints."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app import answers, presenters, queries
from app.db import DatabaseDep, SessionDep
from app.paging import decode_cursor
from app.problems import not_found, problem_responses
from app.routes.params import (
    AsOf,
    CountryFilter,
    CursorParam,
    Limit,
    NeighbourFilter,
    country_roles,
    memo,
)
from app.schemas import JSON_MEDIA_TYPE, CrossingDetail, CrossingsPage, CrossingStatus, Traffic

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
    neighbour_side = country is not None and (await country_roles(request))[country] == "neighbour"
    body = await db.run(
        lambda session: answers.crossings(
            session,
            country=country,
            country_is_neighbour=neighbour_side,
            neighbour=neighbour,
            as_of=as_of,
            status=status,
            traffic=traffic,
            q=q,
            limit=limit,
            after=after,
            remember=partial(memo, request),
        )
    )
    return Response(body, media_type=JSON_MEDIA_TYPE)


@router.get("/{crossing_id}", response_model=CrossingDetail, responses=problem_responses(304, 404))
def get_crossing(
    session: SessionDep,
    crossing_id: Annotated[str, Path(description="The crossing's slug.", examples=["storskog"])],
) -> CrossingDetail:
    """One crossing, with its dated status history and any facts about it."""
    crossing = queries.crossing(session, crossing_id=crossing_id)
    if crossing is None:
        raise not_found("crossing", crossing_id)
    (out,) = presenters.crossings(session, [crossing])
    return CrossingDetail(
        **out.model_dump(),
        history=presenters.history_of(session, subject_type="crossing", subject_id=crossing.id),
        facts=presenters.facts_about(session, subject_type="crossing", subject_id=crossing.id),
    )
