"""Full-text search over sentences and records."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import queries
from app.db import SessionDep
from app.paging import decode_cursor, encode_cursor
from app.problems import invalid_parameter, problem_responses
from app.routes.params import CursorParam, Limit
from app.schemas import Meta, Page, SearchHit

router = APIRouter(prefix="/search", tags=["search"])

WORD = re.compile(r"\w+")
OFFSET = re.compile(r"[0-9]{1,9}")
RECORD_PATHS = {
    "crossing": "/v1/crossings/{}",
    "restriction": "/v1/restrictions/{}",
    "fortification": "/v1/fortifications/{}",
    "border": "/v1/borders/{}",
}


def _url(row: Any) -> str:
    """Where the hit is served: its sentence, its record, the day of its event, or for a fact
    the conflicts list (when disputed) or the record it is about."""
    if row.doc_type == "sentence":
        file, _, index = row.doc_id.partition("#")
        return f"/v1/sources/{file}/sentences/{index}"
    if row.doc_type == "fact" and row.disputed:
        return f"/v1/conflicts#{row.doc_id}"
    if row.event_date is not None:
        return f"/v1/events?from={row.event_date}&to={row.event_date}"
    if row.doc_type == "fact":
        if row.subject_type not in RECORD_PATHS:
            return f"/v1/conflicts#{row.doc_id}"
        return RECORD_PATHS[row.subject_type].format(row.subject_id)
    return RECORD_PATHS.get(row.doc_type, "/v1/{}").format(row.doc_id)


@router.get("", response_model=Page[SearchHit], responses=problem_responses(304, 422))
def search(
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Words to find (all of them), in sentences and records.",
            examples=["fence"],
        ),
    ],
    limit: Limit = 20,
    cursor: CursorParam = None,
) -> Page[SearchHit]:
    """Sentences and records matching every word of `q`, best first."""
    terms = WORD.findall(q)[:20]
    if not terms:
        raise invalid_parameter("q", "needs at least one word")
    after = decode_cursor(cursor)
    if after is not None and not OFFSET.fullmatch(after):
        raise invalid_parameter("cursor", "not a cursor this API issued")
    offset = int(after) if after is not None else 0
    rows, total = queries.search(session, terms=terms, limit=limit, offset=offset)
    end = offset + len(rows)
    return Page[SearchHit](
        data=[
            SearchHit(
                type=row.doc_type, id=row.doc_id, title=row.title, text=row.body, url=_url(row)
            )
            for row in rows
        ],
        meta=Meta(total=total, limit=limit, next=encode_cursor(str(end)) if end < total else None),
    )
