"""The articles and their sentences."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import (
    Sentence,
    Source,
)


def sources(session: Session) -> list[tuple[Source, int]]:
    counts = (
        select(Sentence.source_file, func.count().label("n"))
        .group_by(Sentence.source_file)
        .subquery()
    )
    rows = session.exec(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_file == Source.file)
        .order_by(col(Source.file))
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


def sentence(session: Session, *, file: str, index: int) -> Sentence | None:
    return session.get(Sentence, (file, index))
