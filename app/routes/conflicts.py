"""Where sources disagree."""

from fastapi import APIRouter

from app import answers
from app.db import SessionDep
from app.paging import decode_cursor
from app.problems import problem_responses
from app.routes.params import CursorParam, Limit
from app.schemas import FactOut, Page

router = APIRouter(prefix="/conflicts", tags=["conflicts"])


@router.get("", response_model=Page[FactOut], responses=problem_responses(304, 422))
def list_conflicts(
    session: SessionDep, limit: Limit = 100, cursor: CursorParam = None
) -> Page[FactOut]:
    """Every disagreement between sources: each claim with provenance, the preferred one, why."""
    return answers.conflicts(session, limit=limit, after=decode_cursor(cursor))
