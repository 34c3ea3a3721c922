"""A write's citations: each quote resolved to one sentence of a stored source, exactly as
the seed's quotes are (`app.articles.resolve_quote`)."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from app.articles import Article, SentenceSpan, resolve_quote
from app.models import Citation
from app.payloads import CitationIn
from app.problems import invalid_body
from app.queries.sources import sentence_spans, source


@dataclass(frozen=True)
class Cited:
    source_file: str
    sentence_index: int
    quote: str
    quote_start: int


def resolve_citations(session: Session, citations: Sequence[CitationIn]) -> list[Cited]:
    """Each quote's sentence, found as the seed finds it; a 422 names every quote that isn't."""
    articles: dict[str, Article | None] = {}
    problems: list[tuple[str, str]] = []
    cited: list[Cited] = []
    for n, citation in enumerate(citations):
        if citation.file not in articles:
            articles[citation.file] = _article(session, citation.file)
        article = articles[citation.file]
        if article is None:
            problems.append((f"citations.{n}.file", f"no stored source {citation.file!r}"))
            continue
        found = resolve_quote(article, citation.text)
        if isinstance(found, str):
            problems.append(
                (f"citations.{n}.text", f"quote {citation.text!r} in {citation.file}: {found}")
            )
            continue
        sentence, start = found
        cited.append(Cited(citation.file, sentence.index, citation.text, start))
    if problems:
        raise invalid_body(*problems)
    return cited


def _article(session: Session, file: str) -> Article | None:
    stored = source(session, file=file)
    if stored is None:
        return None
    spans = [SentenceSpan(*span) for span in sentence_spans(session, file=file)]
    return Article(stored.file, stored.text, stored.sha256, spans)


def record_citations(session: Session, record_type: str, record_id: str) -> list[Cited]:
    """The quotes a record cites now, in order."""
    rows = session.exec(
        select(Citation)
        .where(Citation.record_type == record_type, Citation.record_id == record_id)
        .order_by(Citation.position)  # type: ignore[arg-type]
    )
    return [Cited(c.source_file, c.sentence_index, c.quote, c.quote_start) for c in rows]


def add_citations(
    session: Session, record_type: str, record_id: str, cited: list[Cited], *, replace: bool = False
) -> int:
    """Cite these quotes too (a quote the record cites already is not added twice); with
    `replace`, cite only these."""
    existing = list(
        session.exec(
            select(Citation).where(
                Citation.record_type == record_type, Citation.record_id == record_id
            )
        )
    )
    if replace:
        for citation in existing:
            session.delete(citation)
        session.flush()
        existing = []
    spans = {(c.source_file, c.quote_start, c.quote_end) for c in existing}
    position = max((c.position for c in existing), default=-1) + 1
    added = 0
    for c in cited:
        span = (c.source_file, c.quote_start, c.quote_start + len(c.quote))
        if span in spans:
            continue
        spans.add(span)
        session.add(
            Citation(
                record_type=record_type,
                record_id=record_id,
                position=position,
                source_file=c.source_file,
                sentence_index=c.sentence_index,
                quote=c.quote,
                quote_start=c.quote_start,
                quote_end=span[2],
            )
        )
        position += 1
        added += 1
    return added
