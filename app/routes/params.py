"""Query parameters shared by the list endpoints, validated into clear 422 problems."""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Hashable
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement
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


async def reject_nul_characters(request: Request) -> None:
    """No id, code, date or word contains NUL, and PostgreSQL text can't hold one: a 422."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise invalid_parameter(name, "must not contain NUL characters")


async def _country(request: Request, name: str, value: str | None) -> str | None:
    if value is None:
        return None
    code = value.strip().upper()
    accepted = list(await country_roles(request))
    if code not in accepted:
        raise invalid_parameter(
            name,
            f"unknown country code {value!r}; accepted codes: {', '.join(accepted)}",
            accepted=accepted,
        )
    return code


async def country_roles(request: Request) -> dict[str, str]:
    """Every accepted code and its role, read once per data version (in a worker thread)."""
    store: CacheStore = request.app.state.cache
    roles: dict[str, str] | None = store.memo.get("country_roles")
    if roles is None:
        database: Database = request.app.state.database
        roles = await database.run(
            lambda session: memo(request, "country_roles", lambda: queries.country_roles(session))
        )
    return roles


def memo(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per data version in this process (for small reference data)."""
    store: CacheStore = request.app.state.cache
    return store.remember(key, compute)


async def country_filter(
    request: Request,
    country: Annotated[
        str | None,
        Query(
            description="ISO 3166-1 alpha-2 code, any case. Matches either side of a border: "
            "`RU` lists everything on Russia's borders.",
            examples=["LV"],
            max_length=8,
        ),
    ] = None,
) -> str | None:
    return await _country(request, "country", country)


async def neighbour_filter(
    request: Request,
    neighbour: Annotated[
        str | None,
        Query(description="The non-NATO side: RU or BY, any case.", examples=["RU"], max_length=8),
    ] = None,
) -> str | None:
    return await _country(request, "neighbour", neighbour)


CountryFilter = Annotated[str | None, Depends(country_filter)]
NeighbourFilter = Annotated[str | None, Depends(neighbour_filter)]


async def as_of_filter(
    as_of: Annotated[
        str | None,
        Query(
            description="YYYY, YYYY-MM or YYYY-MM-DD: answer as things stood at the end of that "
            "year, month or day, from the dated event history.",
            examples=["2023-11"],
            max_length=10,
        ),
    ] = None,
) -> dt.date | None:
    return partial_date_param("as_of", as_of, end=True)


AsOf = Annotated[dt.date | None, Depends(as_of_filter)]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1-500.", examples=[100])]
CursorParam = Annotated[
    str | None,
    Query(description="Opaque cursor from `meta.next` of the previous page.", max_length=512),
]


def page_of(rows: list[R], *, limit: int, key: Callable[[R], str]) -> tuple[list[R], str | None]:
    """The first `limit` rows and the cursor to the next page, from `limit + 1` fetched rows."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(key(rows[limit - 1]))


class HasId(Protocol):
    id: str


Keyed = TypeVar("Keyed", bound=HasId)


def after_cursor(rows: list[Keyed], *, after: str | None, limit: int) -> list[Keyed]:
    """Up to `limit + 1` rows after the cursor's id, from rows already filtered in memory."""
    return [r for r in rows if after is None or r.id > after][: limit + 1]


def encode_cursor(after: str) -> str:
    raw = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The key a page starts after; a cursor we didn't issue is a 422."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise invalid_parameter("cursor", "not a cursor this API issued") from exc
    if not isinstance(after, str) or "\x00" in after:
        raise invalid_parameter("cursor", "not a cursor this API issued")
    return after


def partial_date_param(name: str, value: str | None, *, end: bool) -> dt.date | None:
    """A YYYY / YYYY-MM / YYYY-MM-DD parameter as the first or last day of its period."""
    if value is None:
        return None
    try:
        start, last = parse_partial(value.strip())
    except ValueError as exc:
        raise invalid_parameter(name, f"{exc}") from exc
    return last if end else start


def documents_response(
    session: Session,
    model: Any,
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
    meta: Callable[[int, str | None], Meta],
) -> Response:
    """A list page sent from the records' stored documents, without re-serialising them.

    `meta(total, next_cursor)` builds the page's meta. The bytes are what the response model
    would give: `{"data": [...], "meta": {...}}`.
    """
    rows, total = queries.documents_page(session, model, conditions, after=after, limit=limit + 1)
    rows, next_cursor = page_of(rows, limit=limit, key=lambda row: row[0])
    docs = fill_missing(session, model, rows)
    body = (
        '{"data":['
        + ",".join(docs)
        + '],"meta":'
        + meta(total, next_cursor).model_dump_json()
        + "}"
    )
    return Response(body.encode(), media_type=JSON_MEDIA_TYPE)


def detail_response(out: BaseModel) -> Response:
    """One record's answer, as the bytes the write API also answers with (same ETag)."""
    return Response(out.model_dump_json().encode(), media_type=JSON_MEDIA_TYPE)
