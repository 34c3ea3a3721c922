"""Countries: one call gives a dashboard everything about a country."""

from typing import Annotated

from fastapi import APIRouter, Path

from app import presenters, queries
from app.db import SessionDep
from app.problems import not_found, problem_responses
from app.schemas import CountryDetail, CountryOut, CrossingCounts, Meta, Page

router = APIRouter(prefix="/countries", tags=["countries"])


@router.get("", response_model=Page[CountryOut], responses=problem_responses(304))
def list_countries(session: SessionDep) -> Page[CountryOut]:
    """Every country the records name: NATO side, neighbours, and others with restrictions."""
    rows = queries.countries(session)
    return Page[CountryOut](
        data=[CountryOut(code=c.code, name=c.name, role=c.role) for c in rows],
        meta=Meta(total=len(rows), limit=len(rows), next=None),
    )


@router.get("/{code}", response_model=CountryDetail, responses=problem_responses(304, 404))
def get_country(
    session: SessionDep,
    code: Annotated[str, Path(description="ISO 3166-1 alpha-2, any case.", examples=["LV"])],
) -> CountryDetail:
    """A country's borders, crossings and counts by status, restrictions, fortifications, events."""
    country = queries.country(session, code=code.upper())
    if country is None:
        raise not_found("country", code)
    borders = queries.borders(session, country=country.code)
    crossings = queries.crossings_of_borders(session, border_ids=[b.id for b in borders])
    counts = CrossingCounts()
    for c in crossings:
        setattr(counts, c.status, getattr(counts, c.status) + 1)
    restrictions = queries.restrictions_all(
        session, list_filter=queries.restriction_filter(country=country.code)
    )
    fortifications = queries.fortifications_all(
        session,
        list_filter=queries.fortification_filter(
            country=country.code, country_is_neighbour=country.role == "neighbour"
        ),
    )
    return CountryDetail(
        code=country.code,
        name=country.name,
        role=country.role,
        borders=presenters.borders(session, borders),
        crossing_counts=counts,
        crossings=presenters.crossings(session, crossings),
        restrictions=presenters.restrictions(session, restrictions),
        fortifications=presenters.fortifications(session, fortifications),
        events=presenters.events(
            session, queries.events_of_countries(session, codes=[country.code])
        ),
    )
