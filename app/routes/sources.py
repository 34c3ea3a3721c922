"""The articles, their sentences, and what cites each sentence."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app import exports
from app.auth import CuratorDep
from app.curation import sources as source_writes
from app.db.session import SessionDep
from app.payloads import SourceIn
from app.presenters import sources as source_answers
from app.problems import not_found, problem_responses
from app.queries import sources as stored
from app.queries.provenance import citations_of_sentences
from app.routes.formats import LIST_RESPONSES, page_answer
from app.routes.lists import detail_response
from app.routes.params import TEXT_SCHEMA, FormatParam
from app.routes.writing import IdempotencyKeyHeader, run_write
from app.schemas import Page, SentenceOut, SourceDetail, SourceOut

router = APIRouter(prefix="/sources", tags=["sources"])

FileParam = Annotated[
    str,
    Path(
        description="The article's file name.",
        examples=["001_2d175952eb0183b5.txt"],
        json_schema_extra=TEXT_SCHEMA,
    ),
]


@router.get("", response_model=Page[SourceOut], responses=LIST_RESPONSES)
def list_sources(
    request: Request, response: Response, session: SessionDep, format_: FormatParam = None
) -> Page[SourceOut] | Response:
    """The articles the records cite, with title, publisher and (inferred) date."""
    rows = exports.sources(session)
    return page_answer(request, response, format_, exports.SOURCES, rows)


@router.get("/{file}", response_model=SourceDetail, responses=problem_responses(304, 404))
def get_source(session: SessionDep, file: FileParam) -> Response:
    """One article: its exact text and every sentence, each with the records citing it."""
    source = stored.source(session, file=file)
    if source is None:
        raise not_found("source", file)
    return detail_response(source_answers.source_detail(session, source))


@router.get(
    "/{file}/sentences/{index}", response_model=SentenceOut, responses=problem_responses(304, 404)
)
def get_sentence(
    session: SessionDep,
    file: FileParam,
    index: Annotated[int, Path(ge=0, le=1_000_000, description="0-based sentence index.")],
) -> SentenceOut:
    """One sentence and every record that cites it."""
    sentence = stored.sentence(session, file=file, index=index)
    if sentence is None:
        raise not_found("sentence", f"{file}#{index}")
    citations = citations_of_sentences(session, file=file, indices=[index])
    return source_answers.sentence(sentence, citations.get(index, []))


@router.post(
    "",
    status_code=201,
    response_model=SourceDetail,
    responses=problem_responses(401, 403, 409, 422, 429),
    response_description="The stored article and its sentences, with its ETag and Location.",
)
async def add_source(
    request: Request,
    curator: CuratorDep,
    body: SourceIn,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Store an article (curators only) verbatim with its sha256, split into sentences."""
    return await run_write(
        request, curator, idempotency_key, partial(source_writes.add_source, article=body)
    )
