"""What the write tests share: curators' headers, quotes from the seed articles, and the
bodies a curator sends."""

from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.conftest import TOKENS

ARTICLE_001 = "001_2d175952eb0183b5.txt"
ARTICLE_000 = "000_82da986fc3907c30.txt"
# Verbatim spans of one sentence each.
NARVA_QUEUES = "Queues began to appear in Narva, waiting takes several hours"
NARVA_CLOSURE = "the Estonian authorities do not rule out the complete closure of the checkpoint"
FINLAND_CLOSED = "In 2023, he closed all checkpoints on the border with the Russian Federation"
FINNS_BUILDING = "the Finns are building a fence and fortifications"


def auth(name: str = "alice", **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}", **headers}


def patch(
    client: TestClient, url: str, body: dict[str, Any], curator: str = "alice", **headers: str
) -> httpx.Response:
    """A curator's PATCH as a client sends it: after a GET, with the ETag read in If-Match."""
    etag = client.get(url).headers["etag"]
    response: httpx.Response = client.patch(
        url, headers=auth(curator, **{"If-Match": etag, **headers}), json=body
    )
    return response


def cite(text: str, file: str = ARTICLE_001) -> list[dict[str, str]]:
    return [{"file": file, "text": text}]


# Narva's notes once it closes: a status change revises the text written for the old one.
NARVA_CLOSED_NOTES = "Closed, as the Estonian authorities said it might be."


def close_narva(**extra: Any) -> dict[str, Any]:
    """A PATCH body: Narva closes, citing the article, with notes for its new status."""
    body = {"status": "closed", "notes": NARVA_CLOSED_NOTES, "citations": cite(NARVA_CLOSURE)}
    return body | extra


def new_crossing(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Vaalimaa",
        "counterpart": "Torfyanovka",
        "aliases": ["Vaalimaa–Torfyanovka"],
        "country": "FI",
        "neighbour": "RU",
        "status": "closed",
        "traffic": ["car", "truck"],
        "citations": cite(FINLAND_CLOSED),
        **extra,
    }
