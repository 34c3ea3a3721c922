"""Where sources disagree."""

from fastapi import APIRouter

from app import presenters, queries
from app.db import SessionDep
from app.problems import problem_responses
from app.routes.params import CursorParam, Limit, decode_cursor, page_of
from app.schemas import FactOut, Meta, Page

router = APIRouter(prefix="/conflicts", tags=["conflicts"])


@router.get("", response_model=Page[FactOut], responses=problem_responses(304, 422))
def list_conflicts(
    session: SessionDep, limit: Limit = 100, cursor: CursorParam = None
) -> Page[FactOut]:
    """Every disagreement between sources: each claim with provenance, the preferred one, why."""
    rows, total = queries.disputed_facts_page(session, after=decode_cursor(cursor), limit=limit + 1)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda f: f.id)
    return Page[FactOut](
        data=presenters.facts(session, rows),
        meta=Meta(total=total, limit=limit, next=next_cursor),
    )
