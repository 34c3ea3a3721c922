"""What the write routes share: their headers, their revisions, and running a write as one
committed transaction before it is acknowledged."""

import json
import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit_schemas import RevisionOut
from app.config import Settings
from app.curation.answers import Answer, idempotent, raw_request_hash, request_hash
from app.curation.audit import Write
from app.data_version import DataVersion
from app.db.runner import database_of
from app.derived.version import DATA_VERSION
from app.media import list_field
from app.problems import ProblemError
from app.queries.audit import revisions_of
from app.schemas import JSON_MEDIA_TYPE, Meta, Page

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID): a retry with the same key and body gets the "
        "first answer again instead of writing twice.",
        pattern=r"^[\x21-\x7e]{1,255}$",
    ),
]
IF_MATCH_HELP = (
    "The ETag of the record as you last read it: a 412 if it changed since. Required: a "
    "PATCH without it is a 428 (unless the service runs with REQUIRE_IF_MATCH=false). "
    "`*` overwrites whatever the record holds now."
)
IF_MATCH_MAX_LENGTH = 2048
# RFC 9110 If-Match: `*`, or a comma-separated list of entity-tags (obs-text left out: no ETag
# this service makes has it). Another value is a 422, not a 412: it can't hold any ETag.
_ETAG = '(W/)?"[\\x21\\x23-\\x7e]*"'
IF_MATCH_PATTERN = f"^[ \\t]*(\\*|{_ETAG}([ \\t]*,[ \\t]*{_ETAG})*)[ \\t]*$"
IF_MATCH = re.compile(IF_MATCH_PATTERN)
# FastAPI documents a header it may go without as optional; a PATCH documents it as required.
IF_MATCH_PARAMETER = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": True,
            "description": IF_MATCH_HELP,
            "schema": {
                "type": "string",
                "maxLength": IF_MATCH_MAX_LENGTH,
                "pattern": IF_MATCH_PATTERN,
                "title": "If-Match",
            },
        }
    ]
}


def _if_match(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", max_length=IF_MATCH_MAX_LENGTH, include_in_schema=False),
    ] = None,
) -> str | None:
    """A PATCH's If-Match, every line of it (a list header, read as the cache reads
    If-None-Match); without one, a 428 (unless REQUIRE_IF_MATCH is off)."""
    settings: Settings = request.app.state.settings
    if (lines := list_field(request.headers.raw, b"if-match")) is not None:
        if_match = lines.decode("latin-1")
    if if_match is None and settings.require_if_match:
        raise ProblemError(
            428,
            "Precondition required",
            "A PATCH needs If-Match, so that it can't overwrite a change made since you read "
            "the record: GET the record and send its ETag in If-Match (or If-Match: * to "
            "overwrite whatever it holds).",
            errors=[{"parameter": "If-Match", "in": "header", "message": "required"}],
        )
    if if_match is not None and not IF_MATCH.fullmatch(if_match):
        message = 'is not `*` or a list of quoted ETags (`"…"`, as the ETag header gives them)'
        raise ProblemError(
            422,
            "Invalid parameter",
            f"If-Match: {message}",
            errors=[{"parameter": "If-Match", "in": "header", "message": message}],
        )
    return if_match


IfMatchHeader = Annotated[str | None, Depends(_if_match)]


async def run_write(
    request: Request,
    curator: str,
    idempotency_key: str | None,
    work: Callable[[Session, Write], Answer],
) -> Response:
    """Run `work` in a write transaction and commit it, then answer: a write is acknowledged
    only once it is durable, and this worker's cache shows it at once."""
    database = database_of(request)
    write = Write(curator=curator, method=request.method, path=request.url.path)
    body = await request.body()
    # The route's template: `/v1/crossings` and its alias `/crossings` are one route.
    route = getattr(request.scope.get("route"), "path_format", request.url.path)
    fingerprints = (
        request_hash(request.method, route.removeprefix("/v1"), request.path_params, body),
        raw_request_hash(request.method, request.url.path, body),
    )

    versions: list[int] = []

    def in_transaction(session: Session) -> Answer:
        versions[:] = []
        answer = idempotent(
            session,
            write,
            key=idempotency_key,
            fingerprints=fingerprints,
            work=lambda: work(session, write),
        )
        if (version := session.info.get(DATA_VERSION)) is not None:
            versions.append(version)
        return answer

    try:
        answer = await database.write(in_transaction)
    except IntegrityError:
        # A concurrent write got there first (same new id, or same Idempotency-Key): once it
        # has committed, doing this one again finds it (a 409, or the replayed answer).
        try:
            answer = await database.write(in_transaction)
        except IntegrityError as exc:
            raise ProblemError(
                409, "Conflict", "A concurrent write changed the same record; GET it and retry."
            ) from exc
    request.app.state.cache.invalidate()
    watcher: DataVersion | None = getattr(request.app.state, "data_version", None)
    if watcher is not None and versions:
        watcher.seen(versions[-1])
    return Response(
        answer.body, status_code=answer.status, headers=answer.headers, media_type=JSON_MEDIA_TYPE
    )


def revisions_page(session: Session, *, record_type: str, record_id: str) -> Page[RevisionOut]:
    """A record's earlier states, oldest first, as they were served."""
    rows = revisions_of(session, record_type=record_type, record_id=record_id)
    return Page[RevisionOut](
        data=[
            RevisionOut(
                revision=r.revision,
                until=r.until.isoformat(),
                audit_id=r.audit_id,
                state=json.loads(r.state),
            )
            for r in rows
        ],
        meta=Meta(total=len(rows), limit=len(rows), next=None),
    )
