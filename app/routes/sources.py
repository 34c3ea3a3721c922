"""The articles, their sentences, and what cites each sentence."""

from typing import Annotated

from fastapi import APIRouter, Path

from app import answers, presenters, queries
from app.db import SessionDep
from app.problems import not_found, problem_responses
from app.schemas import Meta, Page, SentenceOut, SourceDetail, SourceOut

router = APIRouter(prefix="/sources", tags=["sources"])

FileParam = Annotated[
    str, Path(description="The article's file name.", examples=["001_2d175952eb0183b5.txt"])
]


@router.get("", response_model=Page[SourceOut], responses=problem_responses(304))
def list_sources(session: SessionDep) -> Page[SourceOut]:
    """The articles the records cite, with title, publisher and (inferred) date."""
    rows = queries.sources(session)
    return Page[SourceOut](
        data=[
            SourceOut(**source.model_dump(exclude={"text"}), sentence_count=count)
            for source, count in rows
        ],
        meta=Meta(total=len(rows), limit=len(rows), next=None),
    )


@router.get("/{file}", response_model=SourceDetail, responses=problem_responses(304, 404))
def get_source(session: SessionDep, file: FileParam) -> SourceDetail:
    """One article: its exact text and every sentence, each with the records citing it."""
    source = queries.source(session, file=file)
    if source is None:
        raise not_found("source", file)
    sentences = queries.sentences_of(session, file=file)
    citations = queries.citations_of_sentences(session, file=file)
    return SourceDetail(
        **source.model_dump(),
        sentence_count=len(sentences),
        sentences=[presenters.sentence(s, citations.get(s.sentence_index, [])) for s in sentences],
    )


@router.get(
    "/{file}/sentences/{index}", response_model=SentenceOut, responses=problem_responses(304, 404)
)
def get_sentence(
    session: SessionDep,
    file: FileParam,
    index: Annotated[int, Path(ge=0, le=1_000_000, description="0-based sentence index.")],
) -> SentenceOut:
    """One sentence and every record that cites it."""
    return answers.sentence(session, file=file, index=index)
