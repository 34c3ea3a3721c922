"""Country pairs: border-level status, crossing counts and facts such as length."""

from typing import Annotated

from fastapi import APIRouter, Path

from app import answers, presenters, queries
from app.db import SessionDep
from app.problems import not_found, problem_responses
from app.routes.params import CountryFilter
from app.schemas import BorderDetail, BorderOut, Page

router = APIRouter(prefix="/borders", tags=["borders"])


@router.get("", response_model=Page[BorderOut], responses=problem_responses(304, 422))
def list_borders(session: SessionDep, country: CountryFilter) -> Page[BorderOut]:
    """Every border between a NATO country and Russia or Belarus, with its status and facts."""
    return answers.borders(session, country=country)


@router.get("/{border_id}", response_model=BorderDetail, responses=problem_responses(304, 404))
def get_border(
    session: SessionDep,
    border_id: Annotated[
        str, Path(description="`<NATO country>-<neighbour>`, any case.", examples=["NO-RU"])
    ],
) -> BorderDetail:
    """One border, with its crossings, facts (every claim, with provenance) and history."""
    border = queries.border(session, border_id=border_id.upper())
    if border is None:
        raise not_found("border", border_id)
    (out,) = presenters.borders(session, [border])
    return BorderDetail(
        **out.model_dump(),
        crossings=presenters.crossings(
            session, queries.crossings_of_borders(session, border_ids=[border.id])
        ),
        history=presenters.history_of(session, subject_type="border", subject_id=border.id),
    )
