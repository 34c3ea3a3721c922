"""Pages and cursors: the keyset paging every list shares."""

import base64
import binascii
import json
from collections.abc import Callable
from typing import Protocol, TypeVar

from app.problems import invalid_parameter

R = TypeVar("R")


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
