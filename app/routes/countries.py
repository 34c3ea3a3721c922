"""Countries: one call gives a dashboard everything about a country."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app import exports
from app.db.session import SessionDep
from app.kinds import CROSSING, FORTIFICATION, RESTRICTION
from app.presenters.borders import borders as present_borders
from app.presenters.evidence import events as present_events
from app.presenters.records import present
from app.problems import not_found, problem_responses
from app.queries.borders import borders, country
from app.queries.events import Timeline, events_page
from app.queries.lists import record_filter, records_after, total_of
from app.routes.formats import LIST_RESPONSES, page_answer
from app.routes.params import FormatParam
from app.schemas import (
    EMBEDDED_LIMIT,
    CountryDetail,
    CountryOut,
    CrossingCounts,
    EmbeddedList,
    Page,
)

router = APIRouter(prefix="/countries", tags=["countries"])


@router.get("", response_model=Page[CountryOut], responses=LIST_RESPONSES)
def list_countries(
    request: Request, response: Response, session: SessionDep, format_: FormatParam = None
) -> Page[CountryOut] | Response:
    """Every country the records name: NATO side, neighbours, and others with restrictions."""
    rows = exports.countries(session)
    return page_answer(request, response, format_, exports.COUNTRIES, rows)


@router.get("/{code}", response_model=CountryDetail, responses=problem_responses(304, 404))
def get_country(
    session: SessionDep,
    code: Annotated[str, Path(description="ISO 3166-1 alpha-2, any case.", examples=["LV"])],
) -> CountryDetail:
    """A country's borders, crossings and counts by status, restrictions, fortifications, events."""
    stored = country(session, code=code.upper())
    if stored is None:
        raise not_found("country", code)
    code = stored.code
    out = present_borders(session, borders(session, country=code))
    counts = CrossingCounts()
    for border in out:
        for status, n in border.crossing_counts.model_dump().items():
            setattr(counts, status, getattr(counts, status) + n)
    lists = {
        kind.path: record_filter(kind, roles={code: stored.role}, country=code)
        for kind in (CROSSING, RESTRICTION, FORTIFICATION)
    }
    first = {
        name: present(
            session,
            list_filter.kind,
            records_after(session, list_filter=list_filter, after=None, limit=EMBEDDED_LIMIT),
        )
        for name, list_filter in lists.items()
    }
    events, events_total = events_page(
        session, Timeline(country=code), after=None, limit=EMBEDDED_LIMIT
    )
    return CountryDetail(
        code=code,
        name=stored.name,
        role=stored.role,
        borders=out,
        crossing_counts=counts,
        crossings=first["crossings"],
        restrictions=first["restrictions"],
        fortifications=first["fortifications"],
        events=present_events(session, events),
        lists={
            **{
                name: EmbeddedList(
                    total=total_of(session, list_filter=list_filter),
                    url=f"/v1/{name}?country={code}",
                )
                for name, list_filter in lists.items()
            },
            "events": EmbeddedList(total=events_total, url=f"/v1/events?country={code}"),
        },
    )
