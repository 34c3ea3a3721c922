"""Citations: the sentences records cite, and the records citing a sentence."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    and_,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.models import (
    Citation,
    Sentence,
    Source,
)


def _with_sentences(query: Any) -> Any:
    """A query on citations, joined to the sentence each cites and its article (typed loosely:
    the selects it serves differ in their columns)."""
    return query.join(
        Sentence,
        and_(
            col(Sentence.source_file) == col(Citation.source_file),
            col(Sentence.sentence_index) == col(Citation.sentence_index),
        ),
    ).join(Source, col(Source.file) == col(Citation.source_file))


def load_provenance(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each record's citations with their sentences, in the records file's order."""
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not record_ids:
        return result
    # Columns, not entities: a list's citations are many, and each entity costs the ORM's
    # bookkeeping for a value only read once.
    rows = session.execute(
        _with_sentences(
            sa_select(
                col(Citation.record_id),
                col(Citation.source_file),
                col(Citation.sentence_index),
                col(Sentence.text),
                col(Sentence.char_start),
                col(Sentence.char_end),
                col(Citation.quote),
                col(Citation.quote_start),
                col(Citation.quote_end),
                col(Source.published),
            )
        )
        .where(Citation.record_type == record_type, col(Citation.record_id).in_(record_ids))
        .order_by(col(Citation.record_id), col(Citation.position))
    )
    for row in rows:
        result[row.record_id].append(
            {
                "source_file": row.source_file,
                "sentence_index": row.sentence_index,
                "sentence": row.text,
                "char_start": row.char_start,
                "char_end": row.char_end,
                "quote": row.quote,
                "quote_start": row.quote_start,
                "quote_end": row.quote_end,
                "published": row.published,
            }
        )
    return result


def published_dates(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The publication dates of the articles citing each record."""
    result: dict[str, list[str]] = defaultdict(list)
    if not record_ids:
        return result
    rows = session.execute(
        select(Citation.record_id, Source.published)
        .distinct()
        .join(Source, col(Source.file) == col(Citation.source_file))
        .where(
            Citation.record_type == record_type,
            col(Citation.record_id).in_(record_ids),
            col(Source.published).is_not(None),
        )
    )
    for record_id, published in rows:
        result[record_id].append(published)
    return result


def citations_of_sentences(
    session: Session, *, file: str, indices: Sequence[int] | None = None
) -> dict[int, list[Citation]]:
    result: dict[int, list[Citation]] = defaultdict(list)
    query = select(Citation).where(Citation.source_file == file)
    if indices is not None:
        query = query.where(col(Citation.sentence_index).in_(indices))
    for citation in session.exec(
        query.order_by(
            col(Citation.sentence_index), col(Citation.record_type), col(Citation.record_id)
        )
    ):
        result[citation.sentence_index].append(citation)
    return result


def citations_with_sentences(session: Session) -> list[tuple[Citation, Sentence, str]]:
    """Every citation with its sentence and the text of its article."""
    rows = session.exec(_with_sentences(select(Citation, Sentence, Source.text)))
    return [(citation, sentence, article) for citation, sentence, article in rows]
