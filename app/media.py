"""The media types the API answers in besides JSON, and which one a request's Accept asks for."""

from functools import lru_cache

import mimeparse

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
NDJSON_MEDIA_TYPE = "application/x-ndjson"

# In increasing order of preference: on a tie (`*/*`, a browser's Accept) JSON wins.
NEGOTIATED = ["text/csv", "application/json"]


@lru_cache(maxsize=256)
def prefers_csv(accept: str | None) -> bool:
    """Whether an Accept header ranks CSV above JSON (RFC 9110 q-values and specificity).

    No header, `*/*`, a browser's list or one that can't be parsed all mean JSON, as they
    did before CSV was offered: no client that never asked for CSV gets it, and none gets a
    406. Few distinct headers reach a service, so the answers are memoised.
    """
    if not accept:
        return False
    try:
        return bool(mimeparse.best_match(NEGOTIATED, accept) == "text/csv")
    except (mimeparse.MimeTypeParseException, ValueError):
        return False
