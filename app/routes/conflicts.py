"""Where sources disagree."""

from fastapi import APIRouter, Request, Response

from app import exports
from app.db.runner import database_of
from app.db.session import SessionDep
from app.presenters.evidence import facts as present_facts
from app.queries.facts import disputed_facts_page
from app.routes.cursors import page_of, paging
from app.routes.formats import (
    LIST_RESPONSES,
    csv_stream,
    page_answer,
    wants_csv,
    whole_list,
)
from app.routes.params import CursorParam, FormatParam, Limit
from app.schemas import FactOut, Meta, Page

router = APIRouter(prefix="/conflicts", tags=["conflicts"])


@router.get("", response_model=Page[FactOut], responses=LIST_RESPONSES)
def list_conflicts(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: Limit = 100,
    cursor: CursorParam = None,
    format_: FormatParam = None,
) -> Page[FactOut] | Response:
    """Every disagreement between sources: each claim with provenance, the preferred one, why."""
    place = paging(request, cursor)
    csv = wants_csv(request, format_)
    if csv and whole_list(request):
        database = database_of(request)
        return csv_stream(exports.CONFLICTS, exports.facts(database.engine, disputed_only=True))
    rows, total = disputed_facts_page(session, after=place.after, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda f: f.id, paging=place)
    facts = present_facts(session, rows)
    meta = Meta(total=total, limit=limit, next=next_cursor)
    return page_answer(request, response, format_, exports.CONFLICTS, facts, meta)
