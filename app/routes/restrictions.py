"""Measures on people, vehicles, goods, visas, transit and inspections."""

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import Field

from app import exports
from app.kinds import RESTRICTION
from app.payloads import RestrictionCreate, RestrictionPatch
from app.queries.lists import record_filter
from app.routes.cursors import paging
from app.routes.lists import ListRequest, list_answer, list_route
from app.routes.params import (
    COUNTRY_HELP,
    AnyCase,
    AsOfParam,
    CountryForm,
    ListQuery,
    SummaryWordsParam,
    as_of_param,
    query_model,
)
from app.routes.records import RecordDocs, add_record_routes
from app.routes.reference import country_code
from app.schemas import RestrictionKind, RestrictionsPage, RestrictionStatus

router = APIRouter(prefix="/restrictions", tags=["restrictions"])


class RestrictionsQuery(ListQuery):
    country: CountryForm | None = Field(None, description=COUNTRY_HELP, examples=["NO"])
    kind: Annotated[RestrictionKind | None, AnyCase] = Field(
        None, description="What the measure is on, any case."
    )
    status: Annotated[RestrictionStatus | None, AnyCase] = Field(
        None, description="Status (as of `as_of` when given), any case."
    )
    q: str | None = SummaryWordsParam
    as_of: str | None = AsOfParam


@list_route(router, RestrictionsQuery, RestrictionsPage)
async def list_restrictions(
    request: Request, params: Annotated[RestrictionsQuery, query_model(RestrictionsQuery)]
) -> Response:
    """Restrictions, each with the countries it applies to, its dates and provenance.

    With `as_of`, only measures that existed on that date are listed, with their status then.
    """
    place = paging(request, params.cursor)
    country = country_code("country", params.country)
    as_of = as_of_param(params.as_of)
    list_filter = record_filter(
        RESTRICTION,
        country=country,
        kind=params.kind,
        q=params.q,
    )

    asked = ListRequest(
        RESTRICTION,
        list_filter,
        place,
        params,
        exports.RESTRICTIONS,
        as_of=as_of,
        status=params.status,
    )
    return await list_answer(request, asked)


add_record_routes(
    router,
    RESTRICTION,
    create=RestrictionCreate,
    patch=RestrictionPatch,
    docs=RecordDocs(
        detail="One restriction, with its dated history.",
        create="Add a restriction (curators only): its id comes from its summary, and it cites "
        "a quote.",
        update="Change a restriction (curators only), citing the news; a status change becomes "
        "an event.\n\nSend the ETag you read in If-Match: a 428 without it, a 412 if the "
        "restriction changed since.",
        revisions="Every earlier state of a restriction, as it was served, oldest first.",
    ),
)
