"""Query parameters shared by the list endpoints, validated into clear 422 problems."""

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session

from app import queries
from app.cache import CacheStore
from app.dates import parse_partial
from app.db import Database
from app.documents import fill_missing
from app.problems import invalid_parameter
from app.schemas import JSON_MEDIA_TYPE, Meta

R = TypeVar("R")
T = TypeVar("T")

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


async def check_parameters(request: Request) -> None:
    """Every route's parameters, before its own: no id, code, date or word contains NUL
    (PostgreSQL text can't hold one), and a query parameter the route doesn't take is a 422
    that names it, rather than silently ignored (`?contry=LV` would list every country)."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise invalid_parameter(name, "must not contain NUL characters")
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        for name in request.query_params:
            if name not in query_names(route):
                raise invalid_parameter(name, "is not a parameter of this endpoint")


def query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes, as FastAPI or `query_model` declares them (worked
    out once per route, and kept on it)."""
    known: frozenset[str] | None = getattr(route, "_borderstatus_query_names", None)
    if known is None:
        known = _declared_query_names(route)
        route._borderstatus_query_names = known  # type: ignore[attr-defined]
    return known


def _declared_query_names(route: APIRoute) -> frozenset[str]:
    extra = (route.openapi_extra or {}).get("parameters", [])
    declared = {p["name"] for p in extra if p.get("in") == "query"}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        declared |= {field.alias for field in dependant.query_params}
        pending += dependant.dependencies
    return frozenset(declared)


async def country_code(request: Request, name: str, value: str | None) -> str | None:
    """A country parameter as an accepted upper-case code; an unknown one is a 422."""
    if value is None:
        return None
    code = value.strip().upper()
    roles = await country_roles(request)
    if code not in roles:
        accepted = list(roles)
        raise invalid_parameter(
            name,
            f"unknown country code {value!r}; accepted codes: {', '.join(accepted)}",
            accepted=accepted,
        )
    return code


async def country_roles(request: Request) -> dict[str, str]:
    """Every accepted code and its role, read once per data version."""
    return await remembered(request, "country_roles", queries.country_roles)


async def remembered(request: Request, key: Hashable, compute: Callable[[Session], T]) -> T:
    """`compute(session)` once per data version in this process (for small reference data);
    only the first call after a change goes to a worker thread."""
    store: CacheStore = request.app.state.cache
    if key in store.memo:
        found: T = store.memo[key]
        return found
    database: Database = request.app.state.database
    return await database.run(lambda session: store.remember(key, lambda: compute(session)))


async def on_neighbour_side(request: Request, code: str | None) -> bool:
    """Whether a (validated) country code is a neighbour (RU, BY) rather than a NATO country."""
    return code is not None and (await country_roles(request))[code] == "neighbour"


COUNTRY_HELP = (
    "ISO 3166-1 alpha-2 code, any case. Matches either side of a border: "
    "`RU` lists everything on Russia's borders."
)
AS_OF_HELP = (
    "YYYY, YYYY-MM or YYYY-MM-DD: answer as things stood at the end of that year, month or "
    "day, from the dated event history."
)


Q = TypeVar("Q", bound=BaseModel)


def query_model(model: type[Q]) -> Any:
    """A dependency validating the whole query string into `model` in one pydantic call.

    FastAPI's own query-parameter models extract and validate each field on its own, which
    costs more than the rest of a cold list answer (see docs/performance.md). The parameters
    are documented from the same model (`query_parameters`). A repeated key counts once, with
    its last value, as for FastAPI's scalar parameters.
    """

    async def parse(request: Request) -> Q:
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            raise RequestValidationError(errors) from exc

    return Depends(parse)


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting `model`'s fields as query parameters, as FastAPI would."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": field,
                **({"description": field["description"]} if "description" in field else {}),
            }
            for name, field in schema["properties"].items()
        ]
    }


Format = Literal["json", "csv"]
FORMAT_HELP = (
    "`csv` for CSV (as `Accept: text/csv` asks), `json` for JSON whatever Accept says. "
    "A CSV answer is the whole list for the filters given, streamed, unless `limit` or "
    "`cursor` is given: then it is that page, and a `Link` header gives the next."
)


class ListQuery(BaseModel):
    """Query parameters every list takes. An unknown parameter is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=500, description="Page size, 1-500.", examples=[100])
    cursor: str | None = Field(
        None, max_length=512, description="Opaque cursor from `meta.next` of the previous page."
    )
    format: Format | None = Field(None, description=FORMAT_HELP)


async def country_filter(
    request: Request,
    country: Annotated[
        str | None, Query(description=COUNTRY_HELP, examples=["LV"], max_length=8)
    ] = None,
) -> str | None:
    return await country_code(request, "country", country)


CountryFilter = Annotated[str | None, Depends(country_filter)]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1-500.", examples=[100])]
CursorParam = Annotated[
    str | None,
    Query(description="Opaque cursor from `meta.next` of the previous page.", max_length=512),
]
FormatParam = Annotated[Format | None, Query(alias="format", description=FORMAT_HELP)]


# What a cursor is not bound to: the page size may change from one page to the next, and the
# format only changes how a page is written.
UNBOUND = frozenset({"cursor", "limit", "format"})
NOT_ISSUED = "not a cursor this API issued"
FOREIGN = "this cursor belongs to another list or other filters; start again without cursor"


@dataclass(frozen=True)
class Paging:
    """Where a list page starts (after the key its cursor holds), and the list and filters
    its cursors are bound to."""

    after: str | None
    list_key: str

    def cursor(self, key: str) -> str:
        """The cursor to the page after `key`, for this list and these filters only."""
        return encode_cursor(key, list_key=self.list_key)


def paging(request: Request, cursor: str | None) -> Paging:
    """A list request's place: its cursor, refused unless issued for this list and filters."""
    route = request.scope.get("route")
    path = route.path if isinstance(route, APIRoute) else request.url.path
    key = list_key(path, request.query_params)
    return Paging(decode_cursor(cursor, list_key=key), key)


def list_key(path: str, query: Mapping[str, str]) -> str:
    """A digest of the endpoint (the same with or without /v1) and its filters: every query
    parameter but those in `UNBOUND`, each once with the value the route reads (the last), in
    name order. Deterministic, so the same page always has the same cursor (and ETag)."""
    filters = sorted((n, v) for n, v in query.items() if n not in UNBOUND)
    canonical = json.dumps([path.removeprefix("/v1"), filters]).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()[:12]).decode()


def encode_cursor(after: str, *, list_key: str) -> str:
    """An opaque, URL-safe cursor: the key a page starts after, and the list it belongs to."""
    raw = json.dumps({"after": after, "list": list_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, list_key: str) -> str | None:
    """The key a page starts after; a cursor we didn't issue, or issued for another list or
    other filters (or before cursors were bound to them), is a 422."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        after, bound_to = decoded["after"], decoded.get("list")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise invalid_parameter("cursor", NOT_ISSUED) from exc
    if bound_to != list_key:
        raise invalid_parameter("cursor", FOREIGN)
    if not isinstance(after, str) or not sendable(after):
        raise invalid_parameter("cursor", NOT_ISSUED)
    return after


def page_of(
    rows: list[R], *, limit: int, key: Callable[[R], str], paging: Paging
) -> tuple[list[R], str | None]:
    """The first `limit` rows and the cursor to the next page, from `limit + 1` fetched rows."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], paging.cursor(key(rows[limit - 1]))


def sendable(text: str) -> bool:
    """Whether a database can be sent `text`: no NUL (PostgreSQL text can't hold one) and no
    lone surrogate (a JSON `\\ud800` decodes to one; it has no UTF-8 form)."""
    return "\x00" not in text and not LONE_SURROGATE.search(text)


def partial_date_param(name: str, value: str | None, *, end: bool) -> dt.date | None:
    """A YYYY / YYYY-MM / YYYY-MM-DD parameter as the first or last day of its period."""
    if value is None:
        return None
    try:
        start, last = parse_partial(value.strip())
    except ValueError as exc:
        raise invalid_parameter(name, f"{exc}") from exc
    return last if end else start


async def read_documents(
    database: Database, list_filter: queries.ListFilter, *, paging: Paging, limit: int
) -> tuple[list[str], int, str | None]:
    """A list page of the records' stored documents: the documents, the total and the
    cursor to the next page."""
    dialect = database.engine.dialect
    rows, total = await database.read(
        lambda connection: queries.documents_page(
            connection, dialect, list_filter, after=paging.after, limit=limit + 1
        ),
        quick=list_filter.indexed,
    )
    rows, next_cursor = page_of(rows, limit=limit, key=lambda row: row[0], paging=paging)
    stored = [doc for _, doc in rows]
    docs = [doc for doc in stored if doc is not None]
    if len(docs) < len(stored):
        docs = await database.run(lambda session: fill_missing(session, list_filter.model, rows))
    return docs, total, next_cursor


def documents_body(docs: list[str], meta: Meta) -> bytes:
    """A page of stored documents, without re-serialising them: the bytes the response model
    would give, `{"data": [...], "meta": {...}}`."""
    return ('{"data":[' + ",".join(docs) + '],"meta":' + meta.model_dump_json() + "}").encode()


async def documents_response(
    database: Database,
    list_filter: queries.ListFilter,
    *,
    paging: Paging,
    limit: int,
    meta: Callable[[int, str | None], Meta],
) -> Response:
    """A list page sent from the records' stored documents; `meta(total, next_cursor)`
    builds its meta."""
    docs, total, next_cursor = await read_documents(
        database, list_filter, paging=paging, limit=limit
    )
    return Response(documents_body(docs, meta(total, next_cursor)), media_type=JSON_MEDIA_TYPE)


def detail_response(out: BaseModel) -> Response:
    """One record's answer, as the bytes the write API also answers with (same ETag)."""
    return Response(out.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE)
