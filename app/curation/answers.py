"""A write's request and answer: who sends it, what identifies it for its Idempotency-Key,
and the answer replayed to a retry."""

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.cache import etag_of
from app.curation.audit import Write, now
from app.models import IdempotencyKey
from app.problems import ProblemError


@dataclass(frozen=True)
class Answer:
    """A write's answer, as sent (and as replayed to a retry with the same Idempotency-Key)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def etag(body: bytes) -> str:
    return etag_of(body).decode()


def if_match_holds(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: `*`, or a list holding the current tag (strong comparison)."""
    if if_match.strip() == "*":
        return True
    return any(tag.strip() == current for tag in if_match.split(","))


def request_hash(method: str, route: str, path_params: Mapping[str, str], body: bytes) -> str:
    """What identifies a request for its Idempotency-Key: the method, the route it reached
    (its template, `/crossings/{crossing_id}`, the same with /v1 or without), the values of
    the route's parameters, and the body as parsed JSON (so other whitespace or another key
    order is the same request)."""
    try:
        content: Any = json.loads(body)
    except ValueError:
        content = body.decode("utf-8", "replace")
    request = {
        "method": method,
        "route": route,
        "params": dict(path_params),
        "body": content,
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def raw_request_hash(method: str, path: str, body: bytes) -> str:
    """How keys stored before `request_hash` identify their request: method, path and body
    as sent, byte for byte. A retry of such a request is still answered from its key."""
    return hashlib.sha256(method.encode() + b"\n" + path.encode() + b"\n" + body).hexdigest()


def idempotent(
    session: Session,
    write: Write,
    *,
    key: str | None,
    fingerprints: Sequence[str],
    work: Callable[[], Answer],
) -> Answer:
    """`work()`, or, for a key this curator sent before with the same request, its answer.

    `fingerprints` identify the request: the first is stored with a new key, and a stored
    key holding any of them is the same request. The key is stored in the write's own
    transaction, so a write and its key commit together. The same key with another request
    is a 422.
    """
    if key is None:
        return work()
    stored = session.get(IdempotencyKey, (write.curator, key))
    if stored is not None:
        if stored.request_hash not in fingerprints:
            raise ProblemError(
                422,
                "Idempotency key reused",
                "This Idempotency-Key was sent before with another request; use a new key "
                "for a new request.",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "message": "reused"}],
            )
        headers = {**json.loads(stored.headers), "Idempotent-Replayed": "true"}
        return Answer(stored.status, stored.body.encode(), headers)
    answer = work()
    session.add(
        IdempotencyKey(
            curator=write.curator,
            key=key,
            request_hash=fingerprints[0],
            status=answer.status,
            body=answer.body.decode(),
            headers=json.dumps(answer.headers),
            created_at=now(),
        )
    )
    session.flush()
    return answer
