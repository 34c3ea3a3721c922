"""Country pairs: border-level status, crossing counts and facts such as length."""

import difflib
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app import exports
from app.db.session import SessionDep
from app.kinds import CROSSING
from app.presenters import borders as border_answers
from app.presenters.evidence import history_of
from app.presenters.records import listed_on_date, served_now
from app.problems import not_found, problem_responses
from app.queries import borders as border_queries
from app.queries.lists import record_filter
from app.routes.formats import LIST_RESPONSES, page_answer
from app.routes.params import AsOfQuery, CountryFilter, FormatParam, as_of_param
from app.schemas import EMBEDDED_LIMIT, BorderDetail, BorderOut, EmbeddedList, Page

router = APIRouter(prefix="/borders", tags=["borders"])

BORDER_ID = "^[A-Za-z]{2}-[A-Za-z]{2}$"


@router.get("", response_model=Page[BorderOut], responses=LIST_RESPONSES)
def list_borders(
    request: Request,
    response: Response,
    session: SessionDep,
    country: CountryFilter,
    format_: FormatParam = None,
    as_of: AsOfQuery = None,
) -> Page[BorderOut] | Response:
    """Every land border between a NATO country and Russia or Belarus, with its status and
    facts; one no article covers is listed `unknown`, resting on nothing."""
    on = as_of_param(as_of)
    rows = border_queries.borders(session, country=country)
    out = border_answers.borders(session, rows, on)
    return page_answer(request, response, format_, exports.BORDERS, out)


@router.get("/{border_id}", response_model=BorderDetail, responses=problem_responses(304, 404))
def get_border(
    session: SessionDep,
    border_id: Annotated[
        str,
        Path(
            description="`<NATO country>-<neighbour>`, any case, either way round: `ru-no` is "
            "NO-RU.",
            examples=["NO-RU"],
            json_schema_extra={"pattern": BORDER_ID},
        ),
    ],
    as_of: AsOfQuery = None,
) -> BorderDetail:
    """One border, with its crossings, facts (every claim, with provenance) and history."""
    on = as_of_param(as_of)
    border = border_queries.border(session, border_id=border_id)
    if border is None:
        ids = [b.id for b in border_queries.borders(session)]
        nearest = difflib.get_close_matches(border_id.upper(), ids, n=3, cutoff=0.5)
        raise not_found("border", border_id, nearest=nearest)
    (out,) = border_answers.borders(session, [border], on)
    crossings = record_filter(CROSSING, country=border.country, neighbour=border.neighbour)
    if on is None:
        # As lists answer today: from the stored documents.
        crossings_then = served_now(session, crossings, EMBEDDED_LIMIT)
    else:
        crossings_then, _ = listed_on_date(
            session, crossings, date=on, after=None, limit=EMBEDDED_LIMIT
        )
    return BorderDetail(
        **out.model_dump(),
        crossings=crossings_then,
        history=history_of(session, subject_type="border", subject_id=border.id, as_of=on),
        lists={
            "crossings": EmbeddedList(
                total=sum(out.crossing_counts.model_dump().values()),
                url=f"/v1/crossings?country={border.country}&neighbour={border.neighbour}",
            )
        },
    )
