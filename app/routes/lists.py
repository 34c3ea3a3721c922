"""A record list's answer: a page of stored documents (or of records as they stood on a date),
as JSON or CSV, or the whole list streamed as CSV."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session

from app import exports
from app.dated import FRESHNESS, today
from app.db.runner import Database, database_of
from app.kinds import Kind
from app.presenters.records import documents_of, listed_on_date, record_id, render
from app.queries.lists import ListFilter, documents_page, on_date
from app.routes.cursors import Paging, page_of
from app.routes.formats import (
    LIST_RESPONSES,
    VARY,
    csv_page,
    csv_stream,
    wants_csv,
    whole_list,
)
from app.routes.params import ListQuery, query_parameters
from app.schemas import JSON_MEDIA_TYPE, DatedMeta, Meta

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ListRequest:
    """What a list route parsed: the filters, the page, the date and status asked for, and
    the answer's format and CSV table."""

    kind: Kind
    filters: ListFilter
    paging: Paging
    params: ListQuery
    table: exports.Table
    as_of: dt.date | None = None
    status: str | None = None

    @property
    def limit(self) -> int:
        return self.params.limit

    def meta(self, total: int, next_cursor: str | None) -> Meta:
        """A page's meta: its total, size and next cursor, and the date asked for where the
        kind's status is dated."""
        if self.kind.status is None:
            return Meta(total=total, limit=self.limit, next=next_cursor)
        as_of = (self.as_of or today()).isoformat()
        return DatedMeta(total=total, limit=self.limit, next=next_cursor, as_of=as_of)


def list_route(router: APIRouter, query: type[ListQuery], page: Any) -> Callable[[F], F]:
    """Register a kind's list (GET ""): its query parameters documented from `query`, its
    answer as `page` in JSON, or CSV."""
    return router.get(
        "",
        response_model=page,
        responses=LIST_RESPONSES,
        openapi_extra=query_parameters(query),
    )


async def list_answer(
    request: Request,
    asked: ListRequest,
    meta: Callable[[int, str | None], Meta] | None = None,
) -> Response:
    """The list's answer; `meta(total, next_cursor)` builds its meta (by default, the date
    asked for is in the meta of a kind with a dated status)."""
    meta = meta or asked.meta
    database = database_of(request)
    csv = wants_csv(request, asked.params.format)
    if asked.as_of is not None:
        listed = listed_on(asked)
    elif asked.status is not None:
        # Today's status, as for any date, from the status periods: the record's column holds
        # its newest change, which may hold only from a later day.
        listed = on_date(asked.filters, today(), asked.status)
    else:
        listed = asked.filters
    if csv and whole_list(request):
        if asked.as_of is None:
            batches = exports.documents(database.engine, listed)
        else:
            batches = exports.as_of(database.engine, listed, date=asked.as_of)
        return await run_in_threadpool(csv_stream, asked.table, batches)
    if asked.as_of is None:
        docs, total, next_cursor = await read_documents(
            database, listed, paging=asked.paging, limit=asked.limit
        )
    else:
        date = asked.as_of
        docs, total, next_cursor = await database.run(
            lambda session: _page_on_date(session, asked, listed, date)
        )
    if csv:
        return csv_page(request, asked.table, docs, next_cursor)
    body = documents_body(docs, meta(total, next_cursor))
    return Response(body, media_type=JSON_MEDIA_TYPE, headers=VARY)


def listed_on(asked: ListRequest) -> ListFilter:
    """The records listed on the date: a kind listed `unknown` where the sources say nothing
    is listed whole (its status periods only filter by status); another only where its
    periods hold the date, with the status asked for."""
    assert asked.as_of is not None
    if asked.kind.listed_when_unknown and asked.status is None:
        return asked.filters
    return on_date(asked.filters, asked.as_of, asked.status)


def _page_on_date(
    session: Session, asked: ListRequest, listed: ListFilter, date: dt.date
) -> tuple[list[str], int, str | None]:
    """A page of records as they stood on the date: their documents, the total and the cursor
    to the next page."""
    outs, total = listed_on_date(
        session, listed, date=date, after=asked.paging.after, limit=asked.limit + 1
    )
    outs, next_cursor = page_of(outs, limit=asked.limit, key=record_id, paging=asked.paging)
    return [render(out) for out in outs], total, next_cursor


async def read_documents(
    database: Database, list_filter: ListFilter, *, paging: Paging, limit: int
) -> tuple[list[str], int, str | None]:
    """A list page of the records' stored documents: the documents, the total and the
    cursor to the next page."""
    dialect = database.engine.dialect
    rows, total = await database.read(
        lambda connection: documents_page(
            connection, dialect, list_filter, after=paging.after, limit=limit + 1
        ),
        quick=list_filter.indexed,
    )
    rows, next_cursor = page_of(rows, limit=limit, key=lambda row: row[0], paging=paging)
    stored = [doc for _, doc in rows]
    docs = [doc for doc in stored if doc is not None]
    if len(docs) < len(stored):
        kind = list_filter.kind
        docs = await database.run(lambda session: documents_of(session, kind, rows))
    on = today()
    return [FRESHNESS.restamp(doc, on) for doc in docs], total, next_cursor


def documents_body(docs: list[str], meta: Meta) -> bytes:
    """A page of stored documents, without re-serialising them: the bytes the response model
    would give, `{"data": [...], "meta": {...}}`."""
    return ('{"data":[' + ",".join(docs) + '],"meta":' + meta.model_dump_json() + "}").encode()


def detail_response(out: BaseModel) -> Response:
    """One record's answer, as the bytes the write API also answers with (same ETag)."""
    return Response(out.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE)
