"""Full-text search over sentences and records."""

import re
from typing import Annotated

from fastapi import APIRouter, Query

from app import queries
from app.db import SessionDep
from app.problems import invalid_parameter, problem_responses
from app.routes.params import CursorParam, Limit, decode_cursor, encode_cursor
from app.schemas import Meta, Page, SearchHit

router = APIRouter(prefix="/search", tags=["search"])

WORD = re.compile(r"\w+")
RECORD_PATHS = {
    "crossing": "/v1/crossings/{}",
    "restriction": "/v1/restrictions/{}",
    "fortification": "/v1/fortifications/{}",
    "border": "/v1/borders/{}",
    "event": "/v1/events?from={}",
    "fact": "/v1/conflicts#{}",
}


def _url(doc_type: str, doc_id: str) -> str:
    if doc_type == "sentence":
        file, _, index = doc_id.partition("#")
        return f"/v1/sources/{file}/sentences/{index}"
    return RECORD_PATHS.get(doc_type, "/v1/{}").format(doc_id)


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
    offset = int(after) if after and after.isdigit() else 0
    if after is not None and not after.isdigit():
        raise invalid_parameter("cursor", "not a cursor this API issued")
    rows, total = queries.search(session, terms=terms, limit=limit, offset=offset)
    end = offset + len(rows)
    return Page[SearchHit](
        data=[
            SearchHit(type=t, id=i, title=title, text=body, url=_url(t, i))
            for t, i, title, body in rows
        ],
        meta=Meta(total=total, limit=limit, next=encode_cursor(str(end)) if end < total else None),
    )
