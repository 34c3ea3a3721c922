"""The media types the API answers in besides JSON, and which one a request's Accept asks for."""

from collections.abc import Iterable
from functools import lru_cache

import mimeparse

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NDJSON_MEDIA_TYPE = "application/x-ndjson"

# In increasing order of preference: on a tie (`*/*`, a browser's Accept) JSON wins.
NEGOTIATED = ["text/csv", "application/json"]
# Longer Accept headers are ranked each time rather than remembered: a client could otherwise
# have the memo hold hundreds of its largest headers.
MEMO_ACCEPT_CHARS = 256


def list_field(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """Every field line of the list header `name` (lower case), joined with ", " as RFC 9110
    (5.3) lets a recipient combine them; None when the request has none.

    The response cache and the routes read Accept and If-None-Match through this, so a
    request that repeats a header means the same to both.
    """
    lines = [value for key, value in headers if key == name]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else b", ".join(lines)


def accepts_csv(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's Accept field lines, all of them, rank CSV above JSON."""
    accept = list_field(headers, b"accept")
    return prefers_csv(None if accept is None else accept.decode("latin-1"))


def prefers_csv(accept: str | None) -> bool:
    """Whether an Accept header ranks CSV above JSON (RFC 9110 q-values and specificity).

    No header, `*/*`, a browser's list or one that can't be parsed all mean JSON, as they
    did before CSV was offered: no client that never asked for CSV gets it, and none gets a
    406. Few distinct headers reach a service, so the short ones are memoised.
    """
    if not accept:
        return False
    if len(accept) > MEMO_ACCEPT_CHARS:
        return _ranks_csv_first(accept)
    return _remembered(accept)


def _ranks_csv_first(accept: str) -> bool:
    try:
        return bool(mimeparse.best_match(NEGOTIATED, accept) == "text/csv")
    except (mimeparse.MimeTypeParseException, ValueError):
        return False


_remembered = lru_cache(maxsize=256)(_ranks_csv_first)
