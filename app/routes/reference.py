"""Reference data a route reads on every request (country codes and roles), kept once per
data version in each process."""

from collections.abc import Callable, Hashable
from typing import TypeVar

from fastapi import Request
from sqlmodel import Session

from app.cache import CacheStore
from app.db.runner import database_of
from app.problems import invalid_parameter
from app.queries.borders import country_roles as stored_roles

T = TypeVar("T")


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
