"""Fences, walls, bunker lines, minefields, anti-tank barriers and surveillance upgrades."""

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from app import exports
from app.kinds import FORTIFICATION
from app.payloads import FortificationCreate, FortificationPatch
from app.queries.lists import record_filter
from app.routes.cursors import paging
from app.routes.lists import ListRequest, list_answer, list_route
from app.routes.params import (
    AnyCase,
    AsOfParam,
    CountryForm,
    ListQuery,
    SummaryWordsParam,
    as_of_param,
    query_model,
)
from app.routes.records import RecordDocs, add_record_routes
from app.routes.reference import country_code, country_roles
from app.schemas import (
    FortificationKind,
    FortificationsPage,
    FortificationStatus,
)

router = APIRouter(prefix="/fortifications", tags=["fortifications"])


class FortificationsQuery(ListQuery):
    country: CountryForm | None = Field(
        None,
        description="ISO 3166-1 alpha-2 code (or its alpha-3 code or English name), any case: "
        "the country building it, or for RU and BY the neighbour it faces.",
        examples=["LT"],
    )
    kind: Annotated[FortificationKind | None, AnyCase] = Field(
        None, description="What is built, any case."
    )
    status: Annotated[FortificationStatus | None, AnyCase] = Field(
        None, description="Project status (as of `as_of` when given), any case."
    )
    q: str | None = SummaryWordsParam
    as_of: str | None = AsOfParam


@list_route(router, FortificationsQuery, FortificationsPage)
async def list_fortifications(
    request: Request, params: Annotated[FortificationsQuery, query_model(FortificationsQuery)]
) -> Response:
    """Fortification projects, including rejected ones, with figures and provenance.

    With `as_of`, only projects a source reports by that date are listed, with their status
    then.
    """
    place = paging(request, params.cursor)
    country = country_code("country", params.country)
    as_of = as_of_param(params.as_of)
    list_filter = record_filter(
        FORTIFICATION,
        roles=await country_roles(request),
        country=country,
        kind=params.kind,
        q=params.q,
    )

    asked = ListRequest(
        FORTIFICATION,
        list_filter,
        place,
        params,
        exports.FORTIFICATIONS,
        as_of=as_of,
        status=params.status,
    )
    return await list_answer(request, asked)


add_record_routes(
    router,
    FORTIFICATION,
    create=FortificationCreate,
    patch=FortificationPatch,
    docs=RecordDocs(
        detail="One fortification project, with its dated history and facts.",
        create="Add a fortification project (curators only): its id comes from its summary; it "
        "is cited.",
        update="Change a fortification project (curators only), cited; a status change becomes "
        "an event.\n\nSend the ETag you read in If-Match: a 428 without it, a 412 if the "
        "project changed since.",
        revisions="Every earlier state of a fortification project, as it was served, oldest first.",
    ),
)
