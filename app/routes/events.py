"""The dated timeline."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from app import presenters, queries
from app.db import SessionDep
from app.problems import invalid_parameter, problem_responses
from app.routes.params import (
    CountryFilter,
    CursorParam,
    Limit,
    decode_cursor,
    page_of,
    partial_date_param,
)
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
    rows, total = queries.events_page(
        session,
        country=country,
        date_from=start,
        date_to=end,
        kind=kind,
        after=_event_cursor(decode_cursor(cursor)),
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


def _event_cursor(after: str | None) -> tuple[dt.date, str] | None:
    """The (date, id) an events page starts after: a cursor is '<date>|<id>'."""
    if after is None:
        return None
    day, sep, event_id = after.partition("|")
    try:
        if sep:
            return dt.date.fromisoformat(day), event_id
    except ValueError:
        pass
    raise invalid_parameter("cursor", "not a cursor this API issued")
