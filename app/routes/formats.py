"""How a list answers besides its JSON page: a page of CSV, or the whole list as CSV streamed
as it is read; and the streamed NDJSON export."""

from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.exports import Batches, Chunk, Table, csv_chunks, csv_records, encode_rows, rendered
from app.media import CSV_MEDIA_TYPE, NDJSON_MEDIA_TYPE, accepts_csv
from app.problems import problem_responses
from app.routes.params import Format
from app.schemas import Meta, Page

# Every list answers JSON or CSV for the same URL, by its Accept header: a shared cache must
# keep them apart.
VARY = {"Vary": "Accept"}

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The list as JSON, or as CSV for `Accept: text/csv` or `format=csv`: "
        "a row per citation of each record (per record where records cite nothing), the "
        "whole list, streamed, unless `limit` or `cursor` is given.",
    }
}


# A list's answers besides its 200: a 304 for a fresh ETag, a 422 for a bad parameter.
# A 404 is a cursor that names no page of the list.
LIST_RESPONSES = {**problem_responses(304, 404, 422), **CSV_RESPONSE}


def page_answer(
    request: Request,
    response: Response,
    format_: Format | None,
    table: Table,
    data: Sequence[BaseModel],
    meta: Meta | None = None,
) -> Page[Any] | Response:
    """A list page as CSV, if asked for, else as JSON; without `meta`, the page is the whole
    list."""
    if wants_csv(request, format_):
        return csv_page(request, table, rendered(data), meta.next if meta else None)
    response.headers.update(VARY)
    meta = meta or Meta(total=len(data), limit=len(data), next=None)
    return Page[Any](data=list(data), meta=meta)


def wants_csv(request: Request, format_: Format | None) -> bool:
    """`format` when given, else whether the Accept header ranks CSV above JSON: every Accept
    line of the request, read as the response cache reads them for its key."""
    if format_ is not None:
        return format_ == "csv"
    return accepts_csv(request.headers.raw)


def whole_list(request: Request) -> bool:
    """A CSV answer is the whole list, unless the request asks for one page of it."""
    return "limit" not in request.query_params and "cursor" not in request.query_params


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_page(
    request: Request,
    table: Table,
    records: Sequence[str],
    next_cursor: str | None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """One page of a list as CSV; `Link: <...>; rel="next"` says where the next page is."""
    out = {**VARY, **attachment(f"{table.name}.csv"), **(headers or {})}
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        out["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    body = encode_rows([table.header]) + csv_records(table, records)
    return Response(body, media_type=CSV_MEDIA_TYPE, headers=out)


def streamed(
    chunks: Iterator[Chunk], *, media_type: str, headers: Mapping[str, str]
) -> StreamingResponse:
    """An export sent as it is read. Its first two chunks are read here, before anything is
    sent, so a database that is down still answers a 503 problem; call it off the event
    loop. It is marked `no-store` (unless `headers` say `private, no-store`), which is how
    the response cache knows to pass it on as it comes, neither buffered nor kept."""
    first = [chunk.data for chunk in islice(chunks, 2)]
    return StreamingResponse(
        _sent(first, chunks),
        media_type=media_type,
        headers={"Cache-Control": "no-store", **headers},
    )


def _sent(first: list[bytes], rest: Iterator[Chunk]) -> Iterator[bytes]:
    """`first`, then the rest: each chunk let go of once it is handed on."""
    while first:
        yield first.pop(0)
    for chunk in rest:
        yield chunk.data


def csv_stream(
    table: Table, batches: Batches, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    """The whole list as CSV, a batch at a time."""
    return streamed(
        csv_chunks(table, batches),
        media_type=CSV_MEDIA_TYPE,
        headers={**VARY, **attachment(f"{table.name}.csv"), **(headers or {})},
    )


def ndjson_stream(chunks: Iterator[Chunk], filename: str) -> StreamingResponse:
    return streamed(chunks, media_type=NDJSON_MEDIA_TYPE, headers=attachment(filename))
