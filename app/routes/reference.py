"""Reference data a route reads on every request (country codes and roles), kept once per
data version in each process."""

from collections.abc import Callable, Hashable
from typing import TypeVar

from fastapi import Request
from sqlmodel import Session

from app.cache import CacheStore
from app.countries import COUNTRIES, country_of, listing
from app.db.runner import database_of
from app.problems import invalid_parameter
from app.queries.borders import country_roles as stored_roles

T = TypeVar("T")
CODES = tuple(sorted(COUNTRIES))


def country_code(name: str, value: str | None, *, among: tuple[str, ...] = CODES) -> str | None:
    """A country parameter (a code or a name, any case: `app.countries`) as its alpha-2 code;
    one that names no country of `among` is a 422 listing them with their names."""
    if value is None:
        return None
    code = country_of(value)
    if code not in among:
        raise invalid_parameter(
            name,
            f"unknown country {value!r}; accepted (or their alpha-3 codes or English names, "
            f"any case): {listing(among)}",
            accepted=list(among),
            names={code: COUNTRIES[code] for code in among},
        )
    return code


async def country_roles(request: Request) -> dict[str, str]:
    """Every accepted code and its role, read once per data version."""
    return await remembered(request, "country_roles", stored_roles)


async def remembered(request: Request, key: Hashable, compute: Callable[[Session], T]) -> T:
    """`compute(session)` once per data version in this process (for small reference data);
    only the first call after a change goes to a worker thread."""
    store: CacheStore = request.app.state.cache
    if key in store.memo:
        found: T = store.memo[key]
        return found
    database = database_of(request)
    return await database.run(lambda session: store.remember(key, lambda: compute(session)))
