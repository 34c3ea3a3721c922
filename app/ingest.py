"""An article in, as the seed articles are: stored verbatim with its sha256, split into
sentences by app.articles, and searchable. Used by POST /v1/sources and `borderstatus ingest`."""

import hashlib
from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.articles import SentenceSpan, split_sentences
from app.derived.refresh import Changes, refresh_derived
from app.models import Sentence, Source
from app.payloads import SourceIn
from app.problems import ProblemError


def sha256_text(text: str) -> str:
    """The sha256 of an article's UTF-8 bytes (what `sha256sum` says of the file)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sentence_rows(file: str, spans: Iterable[SentenceSpan]) -> list[Sentence]:
    """An article's sentences as the store holds them."""
    return [
        Sentence(
            source_file=file,
            sentence_index=s.index,
            char_start=s.char_start,
            char_end=s.char_end,
            kind=s.kind,
            text=s.text,
        )
        for s in spans
    ]


def ingest_article(session: Session, article: SourceIn) -> Source:
    """Store the article, its sentences and their search documents, in the caller's write
    transaction. 409 when its file name or its text is stored already; 422 when it holds no
    article text."""
    digest = sha256_text(article.text)
    if session.get(Source, article.file) is not None:
        raise ProblemError(
            409,
            "Source exists",
            f"file: a source named {article.file!r} is stored already",
            errors=[{"parameter": "file", "message": "a source of this name is stored"}],
        )
    same_text = session.exec(select(Source.file).where(col(Source.sha256) == digest)).first()
    if same_text is not None:
        raise ProblemError(
            409,
            "Source exists",
            f"text: this text (sha256 {digest}) is stored already, as {same_text!r}",
            errors=[{"parameter": "text", "message": f"the same text is stored as {same_text}"}],
        )
    spans = split_sentences(article.text)
    if not spans:
        raise ProblemError(
            422,
            "Invalid parameter",
            "text: no sentence of article text found (only blank lines or page chrome)",
            errors=[{"parameter": "text", "message": "no sentence of article text found"}],
        )
    source = Source(**article.model_dump(), sha256=digest)
    session.add(source)
    session.flush()
    session.add_all(sentence_rows(article.file, spans))
    session.flush()
    refresh_derived(session, Changes(sources=frozenset({article.file})))
    return source
