"""What the write routes share: their headers, their revisions, and running a write as one
committed transaction before it is acknowledged."""

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import curation, queries
from app.cache import DataVersion
from app.curation import Answer, Write
from app.db import Database
from app.documents import DATA_VERSION
from app.problems import ProblemError
from app.schemas import JSON_MEDIA_TYPE, Meta, Page, RevisionOut

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID): a retry with the same key and body gets the "
        "first answer again instead of writing twice.",
        pattern=r"^[\x21-\x7e]{1,255}$",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag of the record as you last read it: a 412 if it changed since.",
        max_length=2048,
    ),
]


async def run_write(
    request: Request,
    curator: str,
    *,
    idempotency_key: str | None,
    work: Callable[[Session, Write], Answer],
) -> Response:
    """Run `work` in a write transaction and commit it, then answer: a write is acknowledged
    only once it is durable, and this worker's cache shows it at once."""
    database: Database = request.app.state.database
    write = Write(curator=curator, method=request.method, path=request.url.path)
    fingerprint = curation.request_hash(request.method, request.url.path, await request.body())

    versions: list[int] = []

    def in_transaction(session: Session) -> Answer:
        versions[:] = []
        answer = curation.idempotent(
            session,
            write,
            key=idempotency_key,
            fingerprint=fingerprint,
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
    rows = queries.revisions_of(session, record_type=record_type, record_id=record_id)
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
