"""The audit log: every write, who made it and what it changed. Curators only."""

import json
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import exports
from app.audit_schemas import AuditEntryOut
from app.auth import CuratorDep
from app.db.runner import database_of
from app.db.session import SessionDep
from app.models import AuditEntry
from app.payloads import NO_NUL
from app.presenters.evidence import fields_of
from app.problems import problem_responses
from app.queries.audit import audit_before, audit_page
from app.routes.cursors import NOT_ISSUED, no_such_page, paging
from app.routes.formats import CSV_RESPONSE, VARY, csv_page, csv_stream, wants_csv, whole_list
from app.routes.params import CursorParam, FormatParam, Limit
from app.schemas import JSON_MEDIA_TYPE, Meta, Page

router = APIRouter(prefix="/audit", tags=["audit"])

# Never kept by the response cache or a shared cache: only a curator may read it.
PRIVATE = {"Cache-Control": "private, no-store"}
# An audit cursor holds an entry's id: ASCII digits (not any Unicode digit, as str.isdigit
# takes), no larger than the id column, a 32-bit INTEGER, holds; a larger number overflows the
# driver (SQLite) or the column (PostgreSQL).
AUDIT_ID = re.compile("[0-9]{1,10}")
MAX_AUDIT_ID = 2**31 - 1


def _entry(e: AuditEntry) -> AuditEntryOut:
    # The record as it was served before and after the write.
    before, after = (json.loads(state) if state else None for state in (e.before, e.after))
    own = {"id": e.id or 0, "at": e.at.isoformat(), "before": before, "after": after}
    return AuditEntryOut.model_validate(fields_of(e, AuditEntryOut) | own)


def _all_entries(
    engine: Engine, *, record_type: str | None, record_id: str | None
) -> exports.Batches:
    """Every entry, newest first, a batch at a time."""

    def fetch(session: Session, before: int | None, limit: int) -> tuple[list[str], int | None]:
        rows = audit_before(
            session, record_type=record_type, record_id=record_id, before=before, limit=limit
        )
        last = rows[-1].id if len(rows) == limit else None
        return exports.rendered(_entry(e) for e in rows), last

    return exports.in_batches(engine, fetch)


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    responses={**problem_responses(401, 403, 404, 422, 429), **CSV_RESPONSE},
)
def list_audit(
    request: Request,
    session: SessionDep,
    _curator: CuratorDep,
    record_type: Annotated[
        str | None,
        Query(
            description="Only writes to this kind of record.",
            pattern="^(crossing|restriction|fortification|source)$",
        ),
    ] = None,
    record_id: Annotated[
        str | None,
        Query(
            description="Only writes to the record with this id.",
            max_length=255,
            # Ids hold no NUL (PostgreSQL text can't); saying so keeps generated clients from
            # sending one.
            pattern=NO_NUL,
        ),
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
    format_: FormatParam = None,
) -> Response:
    """Every write, newest first (curators only): who, when, what, and before and after."""
    place = paging(request, cursor)
    after = place.after
    before = None
    if after is not None:
        if not AUDIT_ID.fullmatch(after) or int(after) > MAX_AUDIT_ID:
            raise no_such_page(NOT_ISSUED)
        before = int(after)
    csv = wants_csv(request, format_)
    if csv and whole_list(request):
        database = database_of(request)
        batches = _all_entries(database.engine, record_type=record_type, record_id=record_id)
        return csv_stream(exports.AUDIT, batches, PRIVATE)
    rows, total = audit_page(
        session, record_type=record_type, record_id=record_id, before=before, limit=limit + 1
    )
    next_cursor = place.cursor(str(rows[limit - 1].id)) if len(rows) > limit else None
    entries = [_entry(e) for e in rows[:limit]]
    if csv:
        return csv_page(request, exports.AUDIT, exports.rendered(entries), next_cursor, PRIVATE)
    page = Page[AuditEntryOut](data=entries, meta=Meta(total=total, limit=limit, next=next_cursor))
    return Response(
        page.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE, headers={**PRIVATE, **VARY}
    )
