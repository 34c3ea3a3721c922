"""Adding an article as the curators' source."""

from sqlmodel import Session

from app.curation.answers import Answer, etag
from app.curation.audit import Write, adopt, audit_entry
from app.ingest import ingest_article
from app.payloads import SourceIn
from app.presenters.sources import source_detail, source_out
from app.queries.sources import sentences_of


def add_source(session: Session, write: Write, *, article: SourceIn) -> Answer:
    """Store an article (app.ingest), audited, as the curators' source."""
    source = ingest_article(session, article)
    body = source_detail(session, source).model_dump_json().encode()
    summary = source_out(source, len(sentences_of(session, file=source.file)))
    audit = audit_entry(
        session,
        write,
        action="ingest",
        record_type="source",
        record_id=source.file,
        before=None,
        after=summary.model_dump_json(),
    )
    adopt(session, "source", source.file, audit)
    return Answer(201, body, {"ETag": etag(body), "Location": f"/v1/sources/{source.file}"})
