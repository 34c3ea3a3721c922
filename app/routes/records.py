"""The routes every record kind has: its detail, create, update and revisions.

`add_record_routes` registers them on a kind's router with the operation ids, path-parameter
names and texts the kind's module gives, so each kind's routes read alike and document alike.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.audit_schemas import RevisionOut
from app.auth import CuratorDep
from app.curation.answers import Answer
from app.curation.audit import Write
from app.curation.records import create_record, update_record
from app.db.session import SessionDep
from app.kinds import Kind
from app.presenters.records import detail
from app.problems import not_found, problem_responses
from app.queries.records import nearest_ids, record
from app.routes.lists import detail_response
from app.routes.params import AsOfQuery, as_of_param
from app.routes.writing import (
    IF_MATCH_PARAMETER,
    IdempotencyKeyHeader,
    IfMatchHeader,
    revisions_page,
    run_write,
)
from app.schemas import Page

READ_PROBLEMS = problem_responses(304, 404)
# Ids are slugs (`app.names.slug`), documented in any case; one that doesn't match is a 404
# like any unknown id, with its suggestions.
RECORD_ID = "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"
WRITE_PROBLEMS = problem_responses(401, 403, 409, 422, 429)


@dataclass(frozen=True)
class RecordDocs:
    """What a kind's routes say of themselves in the OpenAPI description."""

    detail: str
    create: str
    update: str
    revisions: str


def add_record_routes(
    router: APIRouter,
    kind: Kind,
    *,
    create: type[BaseModel],
    patch: type[BaseModel],
    docs: RecordDocs,
) -> None:
    """GET, PATCH /{id}, POST and GET /{id}/revisions for `kind`, on its router."""
    name = kind.name
    id_param = f"{name}_id"
    RecordId = Annotated[
        str,
        Path(
            alias=id_param,
            description=f"{kind.id_description} Read in any case.",
            examples=[kind.id_example],
            json_schema_extra={"pattern": RECORD_ID},
        ),
    ]

    def found(session: Any, record_id: str) -> Any:
        row = record(session, kind, record_id)
        if row is None:
            search = f"/v1/{kind.path}?{urlencode({'q': record_id})}"
            nearest = nearest_ids(session, kind.model, record_id)
            raise not_found(name, record_id, nearest=nearest, search=search)
        return row

    def get_record(session: SessionDep, record_id: RecordId, as_of: AsOfQuery = None) -> Response:
        row = found(session, record_id)
        return detail_response(detail(session, kind, row, as_of_param(as_of)))

    async def create_one(
        request: Request,
        curator: CuratorDep,
        body: create,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        def work(session: Session, write: Write) -> Answer:
            return create_record(session, write, kind_name=name, payload=body)

        return await run_write(request, curator, idempotency_key, work)

    async def update_one(
        request: Request,
        curator: CuratorDep,
        record_id: RecordId,
        body: patch,  # type: ignore[valid-type]
        if_match: IfMatchHeader,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        def work(session: Session, write: Write) -> Answer:
            return update_record(
                session, write, kind_name=name, record_id=record_id, payload=body, if_match=if_match
            )

        return await run_write(request, curator, idempotency_key, work)

    def revisions(session: SessionDep, record_id: RecordId) -> Page[RevisionOut]:
        found(session, record_id)
        return revisions_page(session, record_type=name, record_id=record_id)

    one = f"/{{{id_param}}}"
    detail_model = {"response_model": kind.detail}
    routes: list[tuple[str, Callable[..., Any], str, str, str, dict[str, Any]]] = [
        (one, get_record, "GET", "get", docs.detail, detail_model | {"responses": READ_PROBLEMS}),
        (
            "",
            create_one,
            "POST",
            "create",
            docs.create,
            detail_model
            | {
                "status_code": 201,
                "responses": WRITE_PROBLEMS,
                "response_description": f"The new {name}, with its ETag and Location.",
            },
        ),
        (
            one,
            update_one,
            "PATCH",
            "update",
            docs.update,
            detail_model
            | {
                "responses": problem_responses(401, 403, 404, 412, 422, 428, 429),
                "openapi_extra": IF_MATCH_PARAMETER,
                "response_description": f"The {name} as it is now, with its new ETag.",
            },
        ),
    ]
    for path, endpoint, method, verb, description, options in routes:
        route_name = f"{verb}_{name}"
        router.add_api_route(
            path, endpoint, methods=[method], name=route_name, description=description, **options
        )
    router.add_api_route(
        f"{one}/revisions",
        revisions,
        methods=["GET"],
        name=f"{name}_revisions",
        description=docs.revisions,
        response_model=Page[RevisionOut],
        responses=READ_PROBLEMS,
    )
