"""Measures on people, vehicles, goods, visas, transit and inspections."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlmodel import Session

from app import presenters, queries
from app.db import DatabaseDep, SessionDep
from app.history import StatusOnDate
from app.models import Restriction
from app.problems import not_found, problem_responses
from app.routes.params import (
    AsOf,
    CountryFilter,
    CursorParam,
    Limit,
    after_cursor,
    decode_cursor,
    documents_response,
    page_of,
)
from app.schemas import (
    JSON_MEDIA_TYPE,
    DatedMeta,
    Page,
    RestrictionDetail,
    RestrictionKind,
    RestrictionOut,
    RestrictionStatus,
)

router = APIRouter(prefix="/restrictions", tags=["restrictions"])


class RestrictionsPage(Page[RestrictionOut]):
    meta: DatedMeta


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
    return await db.run(
        lambda session: _restrictions_answer(
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


def _restrictions_answer(
    session: Session,
    *,
    country: str | None,
    as_of: dt.date | None,
    kind: str | None,
    status: str | None,
    q: str | None,
    limit: int,
    after: str | None,
) -> Response:
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
        return documents_response(
            session, Restriction, conditions, after=after, limit=limit, meta=meta
        )
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
