"""Border checkpoints."""

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from app import exports
from app.countries import NEIGHBOURS
from app.dated import today
from app.kinds import CROSSING
from app.names import fold
from app.payloads import CrossingCreate, CrossingPatch
from app.presenters.borders import unnamed_border_notes
from app.problems import invalid_parameter
from app.queries.lists import record_filter
from app.routes.cursors import paging
from app.routes.lists import ListRequest, list_answer, list_route
from app.routes.params import (
    COUNTRY_HELP,
    WORDS_SCHEMA,
    AnyCase,
    AsOfParam,
    CountryForm,
    ListQuery,
    NeighbourForm,
    as_of_param,
    query_model,
)
from app.routes.records import RecordDocs, add_record_routes
from app.routes.reference import country_code, country_roles, remembered
from app.schemas import BorderStatusNote, CrossingsMeta, CrossingsPage, CrossingStatus, Traffic

router = APIRouter(prefix="/crossings", tags=["crossings"])


class CrossingsQuery(ListQuery):
    country: CountryForm | None = Field(None, description=COUNTRY_HELP, examples=["LV"])
    neighbour: NeighbourForm | None = Field(
        None,
        description="The non-NATO side: RU or BY (or RUS, BLR, Russia, Belarus), any case.",
        examples=["RU"],
    )
    status: Annotated[CrossingStatus | None, AnyCase] = Field(
        None, description="Status (as of `as_of` when given), any case."
    )
    traffic: Annotated[Traffic | None, AnyCase] = Field(
        None, description="Allowed traffic, any case."
    )
    q: str | None = Field(
        None,
        max_length=200,
        description="Name or any alias; ignores case, diacritics, spaces and dashes (so it "
        "needs a letter or digit).",
        json_schema_extra=WORDS_SCHEMA,
        examples=["Sturskug"],
    )
    as_of: str | None = AsOfParam


@list_route(router, CrossingsQuery, CrossingsPage)
async def list_crossings(
    request: Request, params: Annotated[CrossingsQuery, query_model(CrossingsQuery)]
) -> Response:
    """Border checkpoints, each with its status, allowed traffic and provenance."""
    place = paging(request, params.cursor)
    country = country_code("country", params.country)
    neighbour = country_code("neighbour", params.neighbour, among=NEIGHBOURS)
    as_of = as_of_param(params.as_of)
    q_key = fold(params.q) if params.q is not None else None
    if params.q is not None and not q_key:
        raise invalid_parameter("q", "needs at least one letter or digit")
    list_filter = record_filter(
        CROSSING,
        roles=await country_roles(request),
        country=country,
        neighbour=neighbour,
        traffic=params.traffic,
        q_key=q_key,
    )
    notes: list[BorderStatusNote] = []
    if q_key is None and params.traffic is None:
        notes = [
            note
            for note in await remembered(
                request,
                ("unnamed_borders", country, neighbour, as_of),
                lambda session: unnamed_border_notes(session, country, neighbour, as_of),
            )
            if params.status is None or note.status == params.status
        ]

    def meta(total: int, next_cursor: str | None) -> CrossingsMeta:
        return CrossingsMeta(
            total=total,
            limit=params.limit,
            next=next_cursor,
            as_of=(as_of or today()).isoformat(),
            border_statuses=notes,
            note=NO_NAMED_CROSSING if notes and total == 0 else None,
        )

    asked = ListRequest(
        CROSSING,
        list_filter,
        place,
        params,
        exports.CROSSINGS,
        as_of=as_of,
        status=params.status,
    )
    return await list_answer(request, asked, meta)


NO_NAMED_CROSSING = (
    "The sources name no checkpoint on this border; its border-level status is in "
    "meta.border_statuses."
)


add_record_routes(
    router,
    CROSSING,
    create=CrossingCreate,
    patch=CrossingPatch,
    docs=RecordDocs(
        detail="One crossing, with its dated status history and any facts about it.",
        create="Add a crossing (curators only): its id comes from its name; it cites at least "
        "one quote.",
        update="Change a crossing (curators only), citing the news; a status change becomes a "
        "dated event.\n\nSend the ETag you read in If-Match: a 428 without it, a 412 if the "
        "crossing changed since.",
        revisions="Every earlier state of a crossing, as it was served, oldest first.",
    ),
)
