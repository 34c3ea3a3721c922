"""The dated timeline."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from app import presenters, queries
from app.db import SessionDep
from app.paging import decode_cursor, page_of
from app.problems import invalid_parameter, problem_responses
from app.routes.params import CountryFilter, CursorParam, Limit, partial_date_param
from app.schemas import EventKind, EventOut, Meta, Page

router = APIRouter(prefix="/events", tags=["events"])

DATE_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"


@router.get("", response_model=Page[EventOut], responses=problem_responses(304, 422))
def list_events(
    session: SessionDep,
    country: CountryFilter,
    date_from: Annotated[
        str | None,
        Query(
            alias="from", description=f"{DATE_HELP}: events from the start of it.", max_length=10
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(alias="to", description=f"{DATE_HELP}: events up to the end of it.", max_length=10),
    ] = None,
    kind: Annotated[EventKind | None, Query(description="What happened.")] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Page[EventOut]:
    """Dated events (closures, bans, agreements, meetings, completions), oldest first."""
    start = partial_date_param("from", date_from, end=False)
    end = partial_date_param("to", date_to, end=True)
    if start and end and start > end:
        raise invalid_parameter("from", "is after `to`")
    after = decode_cursor(cursor)
    if after is not None and not _valid_event_cursor(after):
        raise invalid_parameter("cursor", "not a cursor this API issued")
    rows, total = queries.events_page(
        session,
        conditions=queries.event_conditions(
            country=country, date_from=start, date_to=end, kind=kind
        ),
        after=after,
        limit=limit + 1,
    )
    rows, next_cursor = page_of(
        rows, limit=limit, key=lambda e: f"{e.date_start.isoformat()}|{e.id}"
    )
    return Page[EventOut](
        data=presenters.events(session, rows),
        meta=Meta(
            total=total,
            limit=limit,
            next=next_cursor,
        ),
    )


def _valid_event_cursor(after: str) -> bool:
    day, sep, _ = after.partition("|")
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return False
    return bool(sep)
