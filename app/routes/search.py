"""Full-text search over sentences and records."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app import exports
from app.db.runner import database_of
from app.db.session import SessionDep
from app.problems import invalid_parameter
from app.queries import search as search_queries
from app.routes.cursors import NOT_ISSUED, no_such_page, paging
from app.routes.formats import (
    LIST_RESPONSES,
    csv_stream,
    page_answer,
    wants_csv,
    whole_list,
)
from app.routes.params import WORDS_SCHEMA, CursorParam, FormatParam, Limit
from app.schemas import Meta, Page
from app.search_schemas import SearchHit

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


TITLE_LENGTH = 120


def _hit(row: Any) -> SearchHit:
    """A hit; a sentence's is titled by its own words, and names its article (the stored
    title of a sentence's document is its article's headline)."""
    if row.doc_type != "sentence":
        return SearchHit(
            type=row.doc_type, id=row.doc_id, title=row.title, text=row.body, url=_url(row)
        )
    title = row.body
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return SearchHit(
        type="sentence",
        id=row.doc_id,
        title=title,
        text=row.body,
        url=_url(row),
        article_file=row.doc_id.partition("#")[0],
        article_title=row.title,
    )


def _all_hits(engine: Engine, terms: list[str]) -> exports.Batches:
    """Every hit, best first, a batch at a time."""

    def fetch(session: Session, offset: int | None, limit: int) -> tuple[list[str], int | None]:
        start = offset or 0
        rows = search_queries.search_hits(session, terms=terms, limit=limit, offset=start)
        batch = exports.rendered(_hit(row) for row in rows)
        return batch, start + len(rows) if len(rows) == limit else None

    return exports.in_batches(engine, fetch)


@router.get("", response_model=Page[SearchHit], responses=LIST_RESPONSES)
def search(
    request: Request,
    response: Response,
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Words to find (all of them), in sentences and records.",
            json_schema_extra=WORDS_SCHEMA,
            examples=["fence"],
        ),
    ],
    limit: Limit = 20,
    cursor: CursorParam = None,
    format_: FormatParam = None,
) -> Page[SearchHit] | Response:
    """Sentences and records matching every word of `q`, best first."""
    terms = WORD.findall(q)[:20]
    if not terms:
        raise invalid_parameter("q", "needs at least one word")
    place = paging(request, cursor)
    after = place.after
    if after is not None and not OFFSET.fullmatch(after):
        raise no_such_page(NOT_ISSUED)
    csv = wants_csv(request, format_)
    if csv and whole_list(request):
        database = database_of(request)
        return csv_stream(exports.SEARCH, _all_hits(database.engine, terms))
    offset = int(after) if after is not None else 0
    rows, total = search_queries.search(session, terms=terms, limit=limit, offset=offset)
    end = offset + len(rows)
    hits = [_hit(row) for row in rows]
    next_cursor = place.cursor(str(end)) if end < total else None
    meta = Meta(total=total, limit=limit, next=next_cursor)
    return page_answer(request, response, format_, exports.SEARCH, hits, meta)
