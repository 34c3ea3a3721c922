"""Query parameters shared by the list endpoints, validated into clear 422 problems."""

import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from app import queries
from app.cache import CacheStore
from app.dates import parse_partial
from app.db import Database
from app.problems import invalid_parameter

T = TypeVar("T")


async def reject_nul_characters(request: Request) -> None:
    """No id, code, date or word contains NUL, and PostgreSQL text can't hold one: a 422."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise invalid_parameter(name, "must not contain NUL characters")


async def _country(request: Request, name: str, value: str | None) -> str | None:
    if value is None:
        return None
    return check_country(name, value, await country_roles(request))


def check_country(name: str, value: str, roles: Mapping[str, str]) -> str:
    """The code, upper-cased, if the records name that country; a 422 listing them if not."""
    code = value.strip().upper()
    if code not in roles:
        accepted = list(roles)
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


def partial_date_param(name: str, value: str | None, *, end: bool) -> dt.date | None:
    """A YYYY / YYYY-MM / YYYY-MM-DD parameter as the first or last day of its period."""
    if value is None:
        return None
    try:
        start, last = parse_partial(value.strip())
    except ValueError as exc:
        raise invalid_parameter(name, f"{exc}") from exc
    return last if end else start
