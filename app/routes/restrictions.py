"""Measures on people, vehicles, goods, visas, transit and inspections."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import Session

from app import curation, presenters, queries
from app.auth import CuratorDep
from app.db import DatabaseDep, SessionDep
from app.history import StatusOnDate
from app.models import Restriction
from app.payloads import RestrictionCreate, RestrictionPatch
from app.problems import not_found, problem_responses
from app.routes.params import (
    AsOf,
    CountryFilter,
    CursorParam,
    Limit,
    after_cursor,
    decode_cursor,
    detail_response,
    documents_response,
    page_of,
)
from app.routes.writing import IdempotencyKeyHeader, IfMatchHeader, revisions_page, run_write
from app.schemas import (
    JSON_MEDIA_TYPE,
    DatedMeta,
    Page,
    RestrictionDetail,
    RestrictionKind,
    RestrictionOut,
    RestrictionStatus,
    RevisionOut,
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
    responses=problem_responses(401, 403, 404, 412, 422, 429),
    response_description="The restriction as it is now, with its new ETag.",
)
async def update_restriction(
    request: Request,
    curator: CuratorDep,
    restriction_id: Annotated[
        str, Path(description="The restriction's slug.", examples=["no-russian-plated-cars-ban"])
    ],
    body: RestrictionPatch,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Change a restriction (curators only), citing the news; a status change becomes an event."""
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
