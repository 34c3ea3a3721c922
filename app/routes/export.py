"""The bulk export: every record in the store, one JSON object per line, streamed."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app import exports
from app.db.runner import database_of
from app.media import NDJSON_MEDIA_TYPE
from app.problems import problem_responses
from app.routes.formats import ndjson_stream
from app.routes.params import AnyCase, AsOfParam, as_of_param, query_model, query_parameters

router = APIRouter(tags=["export"])

NDJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {NDJSON_MEDIA_TYPE: {"schema": {"type": "string"}}},
        "description": "One JSON object per line: a record as its list serves it, with its "
        "provenance, and `type` first (country, source, border, crossing, restriction, "
        "fortification, fact, event).",
    }
}


# A kind as its lines' `type` names it, beside the plural the export's kinds go by.
LineType = Literal[
    "country", "source", "border", "crossing", "restriction", "fortification", "fact", "event"
]
ExportTypeParam = Literal[LineType, exports.ExportType]


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Annotated[ExportTypeParam | None, AnyCase] = Field(
        None,
        description="Only this kind of record (as its lines' `type` names it, or the plural), "
        "any case; every kind when left out.",
    )
    as_of: str | None = AsOfParam


@router.get(
    "/export.ndjson",
    response_class=Response,
    responses={**NDJSON_RESPONSE, **problem_responses(422)},
    openapi_extra=query_parameters(ExportQuery),
)
async def export_ndjson(
    request: Request, params: Annotated[ExportQuery, query_model(ExportQuery)]
) -> Response:
    """Every record (or every record of one `type`) as NDJSON, streamed as it is read; as
    things stood on `as_of` when given."""
    on = as_of_param(params.as_of)
    chosen = exports.kind_named(params.type) if params.type else None
    kinds = [chosen] if chosen else list(exports.KINDS.values())
    database = database_of(request)
    filename = f"borderstatus-{chosen.name if chosen else 'all'}.ndjson"
    return await run_in_threadpool(
        ndjson_stream, exports.ndjson_chunks(database.engine, kinds, on), filename
    )
