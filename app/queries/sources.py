"""The articles and their sentences."""

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.models import (
    Sentence,
    Source,
)


def sources(session: Session) -> list[tuple[Source, int]]:
    """Every article, in file order, with how many sentences it has: its sentences are
    numbered from 0 on (`app.articles.split_sentences`), so that is one past the highest number,
    read off the sentences' key for each article, not a count of them all."""
    sentences = (
        select(func.coalesce(func.max(Sentence.sentence_index) + 1, 0))
        .where(Sentence.source_file == Source.file)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Source, sentences)
        .order_by(col(Source.file))
        # A list of articles leaves out their texts, which a store of many holds megabytes of.
        .options(defer(Source.text))  # type: ignore[arg-type]
    )
    return [(source, int(n)) for source, n in rows]


def source(session: Session, *, file: str) -> Source | None:
    return session.get(Source, file)


def sentences_of(session: Session, *, file: str) -> list[Sentence]:
    return list(
        session.exec(
            select(Sentence)
            .where(Sentence.source_file == file)
            .order_by(col(Sentence.sentence_index))
        )
    )


def sentence_spans(session: Session, *, file: str) -> list[tuple[int, int, int, str, str]]:
    """An article's sentences as (index, start, end, kind, text), in order: the columns alone,
    for a write that resolves quotes (it reads every sentence of each article it cites)."""
    columns = ("sentence_index", "char_start", "char_end", "kind", "text")
    query = (
        sa_select(*(col(getattr(Sentence, c)) for c in columns))
        .where(col(Sentence.source_file) == file)
        .order_by(col(Sentence.sentence_index))
    )
    return [(i, start, end, kind, text) for i, start, end, kind, text in session.execute(query)]


def sentence(session: Session, *, file: str, index: int) -> Sentence | None:
    return session.get(Sentence, (file, index))
