"""The dated timeline."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app import exports
from app.db.runner import database_of
from app.db.session import SessionDep
from app.presenters.evidence import events as present_events
from app.problems import invalid_parameter
from app.queries.events import Timeline, events_page
from app.routes.cursors import NOT_ISSUED, no_such_page, page_of, paging
from app.routes.formats import (
    LIST_RESPONSES,
    csv_stream,
    page_answer,
    wants_csv,
    whole_list,
)
from app.routes.params import (
    PARTIAL_DATE_SCHEMA,
    AnyCase,
    CountryFilter,
    CursorParam,
    FormatParam,
    Limit,
    partial_date_param,
)
from app.schemas import EventKind, EventOut, Meta, Page

router = APIRouter(prefix="/events", tags=["events"])

DATE_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"


@router.get("", response_model=Page[EventOut], responses=LIST_RESPONSES)
def list_events(
    request: Request,
    response: Response,
    session: SessionDep,
    country: CountryFilter,
    date_from: Annotated[
        str | None,
        Query(
            alias="from",
            description=f"{DATE_HELP}: events from the start of it.",
            max_length=10,
            json_schema_extra=PARTIAL_DATE_SCHEMA,
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            alias="to",
            description=f"{DATE_HELP}: events up to the end of it.",
            max_length=10,
            json_schema_extra=PARTIAL_DATE_SCHEMA,
        ),
    ] = None,
    kind: Annotated[
        EventKind | None, AnyCase, Query(description="What happened, any case.")
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
    format_: FormatParam = None,
) -> Page[EventOut] | Response:
    """Dated events (closures, bans, agreements, meetings, completions), oldest first."""
    start = partial_date_param("from", date_from, end=False)
    end = partial_date_param("to", date_to, end=True)
    if start and end and start > end:
        raise invalid_parameter("from", "is after `to`")
    timeline = Timeline(country=country, date_from=start, date_to=end, kind=kind)
    place = paging(request, cursor)
    after = _event_cursor(place.after)
    csv = wants_csv(request, format_)
    if csv and whole_list(request):
        database = database_of(request)
        batches = exports.events(database.engine, timeline)
        return csv_stream(exports.EVENTS, batches)
    rows, total = events_page(session, timeline, after=after, limit=limit + 1)
    rows, next_cursor = page_of(
        rows, limit=limit, key=lambda e: f"{e.date_start.isoformat()}|{e.id}", paging=place
    )
    events = present_events(session, rows)
    meta = Meta(total=total, limit=limit, next=next_cursor)
    return page_answer(request, response, format_, exports.EVENTS, events, meta)


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
    raise no_such_page(NOT_ISSUED)
