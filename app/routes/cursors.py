"""Cursors: where a list page starts, bound to its list and filters, and opaque to clients.

A value that isn't a cursor's shape is a 422 like any malformed parameter. One of the right
shape that this list didn't issue for these filters names no page of it: a 404, as an unknown
id is, so every value the schema allows is answered with a page or a "not found".
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.routing import APIRoute

from app.problems import ProblemError, invalid_parameter

R = TypeVar("R")

# What a cursor is not bound to: the page size may change from one page to the next, and the
# format only changes how a page is written.
UNBOUND = frozenset({"cursor", "limit", "format"})

NOT_ISSUED = "not a cursor this API issued; start again without cursor"

FOREIGN = "this cursor belongs to another list or other filters; start again without cursor"

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What every cursor is made of (the schema's pattern): one that isn't is a 422, one that is
# but names no page of its list a 404.
SHAPE = re.compile("[A-Za-z0-9_-]+")


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


def no_such_page(message: str) -> ProblemError:
    """A cursor that names no page of this list: a 404 naming `cursor` (no page is there,
    as no record is at an unknown id), with what to do."""
    return ProblemError(
        404,
        "No such page",
        f"cursor: {message}",
        errors=[{"parameter": "cursor", "message": message}],
    )


def decode_cursor(cursor: str | None, *, list_key: str) -> str | None:
    """The key a page starts after; a cursor we didn't issue, or issued for another list or
    other filters (or before cursors were bound to them), names no page of it: a 404."""
    if cursor is None:
        return None
    if not SHAPE.fullmatch(cursor):
        raise invalid_parameter("cursor", "is not a cursor: URL-safe base64, as `meta.next` gives")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
        after, bound_to = decoded["after"], decoded.get("list")
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise no_such_page(NOT_ISSUED) from exc
    if bound_to != list_key:
        raise no_such_page(FOREIGN)
    if not isinstance(after, str) or not sendable(after):
        raise no_such_page(NOT_ISSUED)
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
