"""Articles as served: each one's text and sentences, and the records citing each."""

from collections.abc import Sequence

from sqlmodel import Session

from app.models import Citation, Sentence, Source
from app.presenters.evidence import fields_of
from app.queries.provenance import citations_of_sentences
from app.queries.sources import sentences_of
from app.schemas import (
    CitedBy,
    SentenceOut,
    SourceDetail,
    SourceOut,
)


def source_out(source: Source, sentence_count: int) -> SourceOut:
    values = {
        name: getattr(source, name) for name in SourceOut.model_fields if name != "sentence_count"
    }
    return SourceOut(**values, sentence_count=sentence_count)


def source_detail(session: Session, source: Source) -> SourceDetail:
    """One article: its exact text and every sentence, each with the records citing it."""
    found = sentences_of(session, file=source.file)
    citations = citations_of_sentences(session, file=source.file)
    return SourceDetail(
        **source.model_dump(),
        sentence_count=len(found),
        sentences=[sentence(s, citations.get(s.sentence_index, [])) for s in found],
    )


def sentence(row: Sentence, citations: Sequence[Citation]) -> SentenceOut:
    cited_by = [CitedBy.model_validate(c, from_attributes=True) for c in citations]
    return SentenceOut.model_validate(fields_of(row, SentenceOut) | {"cited_by": cited_by})
