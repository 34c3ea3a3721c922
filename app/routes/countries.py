"""Countries: one call gives a dashboard everything about a country."""

import difflib
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from app import exports
from app.countries import COUNTRIES, country_of
from app.dated import FRESHNESS, today
from app.db.session import SessionDep
from app.history import newest
from app.kinds import CROSSING, FORTIFICATION, RESTRICTION
from app.presenters.borders import borders as present_borders
from app.presenters.evidence import events as present_events
from app.presenters.records import listed_on_date, served_now
from app.problems import not_found, problem_responses
from app.queries.borders import borders, country
from app.queries.events import Timeline, events_page
from app.queries.lists import on_date, record_filter, total_of
from app.routes.formats import LIST_RESPONSES, page_answer
from app.routes.params import ANY_COUNTRY, AsOfQuery, FormatParam, as_of_param
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
    code: Annotated[
        str,
        Path(
            description="ISO 3166-1 alpha-2 code, or its alpha-3 code or English name, any case.",
            examples=["LV"],
            json_schema_extra=ANY_COUNTRY,
        ),
    ],
    as_of: AsOfQuery = None,
) -> CountryDetail:
    """A country's borders, crossings and counts by status, restrictions, fortifications, events.

    With `as_of`, everything as it stood then: the records a source covers by that date, with
    their status then, and the events up to it.
    """
    on = as_of_param(as_of)
    past = on is not None and on != today()
    stored = country(session, code=country_of(code) or code.upper())
    if stored is None:
        raise not_found("country", code, nearest=difflib.get_close_matches(code.upper(), COUNTRIES))
    code = stored.code
    out = present_borders(session, borders(session, country=code), on)
    counts = CrossingCounts()
    for border in out:
        for status, n in border.crossing_counts.model_dump().items():
            setattr(counts, status, getattr(counts, status) + n)
    lists = {
        kind.path: record_filter(kind, roles={code: stored.role}, country=code)
        for kind in (CROSSING, RESTRICTION, FORTIFICATION)
    }
    if on is not None:
        lists = {
            name: found if found.kind.listed_when_unknown else on_date(found, on)
            for name, found in lists.items()
        }
    if on is None:
        # As lists answer today: from the stored documents.
        first = {
            name: served_now(session, list_filter, EMBEDDED_LIMIT)
            for name, list_filter in lists.items()
        }
        totals = {
            name: total_of(session, list_filter=list_filter) for name, list_filter in lists.items()
        }
    else:
        dated = {
            name: listed_on_date(session, list_filter, date=on, after=None, limit=EMBEDDED_LIMIT)
            for name, list_filter in lists.items()
        }
        first = {name: outs for name, (outs, _) in dated.items()}
        totals = {name: total for name, (_, total) in dated.items()}
    events, events_total = events_page(
        session, Timeline(country=code, date_to=on), after=None, limit=EMBEDDED_LIMIT
    )
    answers: list[BaseModel] = [*out, *(r for found in first.values() for r in found)]
    reported = [getattr(r, "last_reported", None) for r in answers]
    last_reported = newest([r for r in reported if r])
    return CountryDetail(
        last_reported=last_reported,
        stale=FRESHNESS.stale(last_reported, on or today()),
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
                    total=totals[name],
                    url=f"/v1/{name}?country={code}" + (f"&as_of={on}" if past else ""),
                )
                for name in lists
            },
            "events": EmbeddedList(
                total=events_total,
                url=f"/v1/events?country={code}" + (f"&to={on}" if past else ""),
            ),
        },
    )
