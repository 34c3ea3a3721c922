"""The audit log: every write, who made it and what it changed. Curators only."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app import queries
from app.auth import CuratorDep
from app.db import SessionDep
from app.problems import invalid_parameter, problem_responses
from app.routes.params import CursorParam, Limit, decode_cursor, encode_cursor
from app.schemas import JSON_MEDIA_TYPE, AuditEntryOut, Meta, Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    responses=problem_responses(401, 403, 422, 429),
)
def list_audit(
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
        str | None, Query(description="Only writes to the record with this id.", max_length=255)
    ] = None,
    limit: Limit = 100,
    cursor: CursorParam = None,
) -> Response:
    """Every write, newest first (curators only): who, when, what, and before and after."""
    after = decode_cursor(cursor)
    before = None
    if after is not None:
        if not after.isdigit():
            raise invalid_parameter("cursor", "not a cursor this API issued")
        before = int(after)
    rows, total = queries.audit_page(
        session, record_type=record_type, record_id=record_id, before=before, limit=limit + 1
    )
    next_cursor = encode_cursor(str(rows[limit - 1].id)) if len(rows) > limit else None
    page = Page[AuditEntryOut](
        data=[
            AuditEntryOut(
                id=e.id or 0,
                at=e.at.isoformat(),
                curator=e.curator,
                method=e.method,
                path=e.path,
                action=e.action,
                record_type=e.record_type,
                record_id=e.record_id,
                before=json.loads(e.before) if e.before else None,
                after=json.loads(e.after) if e.after else None,
            )
            for e in rows[:limit]
        ],
        meta=Meta(total=total, limit=limit, next=next_cursor),
    )
    # Never kept by the response cache or a shared cache: only a curator may read it.
    return Response(
        page.model_dump_json().encode(),
        media_type=JSON_MEDIA_TYPE,
        headers={"Cache-Control": "private, no-store"},
    )
