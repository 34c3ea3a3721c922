"""Query parameters shared by the list endpoints, validated into clear 422 problems."""

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from app.countries import COUNTRIES, NEIGHBOURS, schema_forms
from app.dated import today
from app.dates import AS_OF_PATTERN, PARTIAL_DATE_PATTERN, as_of_date, parse_partial
from app.problems import invalid_parameter
from app.routes.cursors import SHAPE
from app.routes.reference import country_code


async def check_parameters(request: Request) -> None:
    """Every route's parameters, before its own: no id, code, date or word contains NUL
    (PostgreSQL text can't hold one), a query parameter the route doesn't take is a 422
    that names it, rather than silently ignored (`?contry=LV` would list every country), and
    so is one given twice."""
    given = request.query_params.multi_items()
    for name, value in [*request.path_params.items(), *given]:
        if isinstance(value, str) and "\x00" in value:
            raise invalid_parameter(name, "must not contain NUL characters")
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        for name in request.query_params:
            if name not in query_names(route):
                raise invalid_parameter(name, "is not a parameter of this endpoint")
    names = [name for name, _ in given]
    if len(names) != len(request.query_params):
        # Every parameter takes one value: `country=LV&country=EE` is not silently EE.
        twice = next(name for name in names if names.count(name) > 1)
        raise invalid_parameter(twice, "is given more than once; it takes one value")


def query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes, as FastAPI or `query_model` declares them (worked
    out once per route, and kept on it)."""
    known: frozenset[str] | None = getattr(route, "_borderstatus_query_names", None)
    if known is None:
        known = _declared_query_names(route)
        route._borderstatus_query_names = known  # type: ignore[attr-defined]
    return known


def _declared_query_names(route: APIRoute) -> frozenset[str]:
    extra = (route.openapi_extra or {}).get("parameters", [])
    declared = {p["name"] for p in extra if p.get("in") == "query"}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        declared |= {field.alias for field in dependant.query_params}
        pending += dependant.dependencies
    return frozenset(declared)


COUNTRY_HELP = (
    "ISO 3166-1 alpha-2 code; its alpha-3 code or English name is read as it, in any case "
    "(`lv`, `LVA`, `Latvia`). Matches either side of a border: `RU` lists everything on "
    "Russia's borders."
)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# The vocabularies (statuses, kinds, traffic, formats) are read in any case: `Closed` is
# `closed`. The schema lists them in the case the answers use.
AnyCase = BeforeValidator(_lower)


# A country parameter: a string, documented as the forms of the codes it takes.
ANY_COUNTRY: dict[str, Any] = {"enum": schema_forms(tuple(COUNTRIES))}
_A_NEIGHBOUR: dict[str, Any] = {"enum": schema_forms(NEIGHBOURS)}
CountryForm = Annotated[str, Field(max_length=60, json_schema_extra=ANY_COUNTRY)]
NeighbourForm = Annotated[str, Field(max_length=60, json_schema_extra=_A_NEIGHBOUR)]

AS_OF_HELP = (
    "YYYY, YYYY-MM or YYYY-MM-DD (a timestamp is read as its date): answer as things stood at "
    "the end of that year, month or day, from the dated event history; a period not over yet "
    "is answered as of today (UTC), and one that begins after today is refused. Without it, "
    "the answer is as of today, the same as `as_of` today."
)
AsOfQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description=AS_OF_HELP,
        examples=["2023-11"],
        json_schema_extra={"pattern": AS_OF_PATTERN},
    ),
]
AsOfParam = Field(
    None,
    max_length=64,
    description=AS_OF_HELP,
    examples=["2023-11"],
    json_schema_extra={"pattern": AS_OF_PATTERN},
)

# Free text in a query: no NUL (PostgreSQL text can't hold one), and, where words are looked
# for, at least one letter or digit, of any script (in Python's and a Unicode regex's
# reading of `\\w`; an ASCII-only engine reads it as [A-Za-z0-9]).
TEXT_SCHEMA: dict[str, Any] = {"pattern": "^[^\\u0000]*$"}
WORDS_SCHEMA: dict[str, Any] = {"pattern": "^[^\\u0000]*[^\\W_][^\\u0000]*$"}

# `q` of the lists searched by summary (restrictions, fortifications).
SummaryWordsParam = Field(
    None,
    max_length=200,
    description="Words in the summary, any case.",
    json_schema_extra=TEXT_SCHEMA,
)

CURSOR_HELP = (
    "Opaque cursor from `meta.next` of the previous page (URL-safe base64). One this list "
    "didn't issue, for these filters, names no page: a 404."
)
CURSOR_PATTERN = f"^{SHAPE.pattern}$"

Q = TypeVar("Q", bound=BaseModel)


def query_model(model: type[Q]) -> Any:
    """A dependency validating the whole query string into `model` in one pydantic call.

    FastAPI's own query-parameter models extract and validate each field on its own, which
    costs more than the rest of a cold list answer (see docs/performance.md). The parameters
    are documented from the same model (`query_parameters`). A repeated key counts once, with
    its last value, as for FastAPI's scalar parameters, but `check_parameters` has refused it.
    """

    async def parse(request: Request) -> Q:
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            raise RequestValidationError(errors) from exc

    return Depends(parse)


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting `model`'s fields as query parameters, as FastAPI would."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": field,
                **({"description": field["description"]} if "description" in field else {}),
            }
            for name, field in schema["properties"].items()
        ]
    }


Format = Literal["json", "csv"]

FORMAT_HELP = (
    "`csv` for CSV (as `Accept: text/csv` asks), `json` for JSON whatever Accept says. "
    "A CSV answer is the whole list for the filters given, streamed, unless `limit` or "
    "`cursor` is given: then it is that page, and a `Link` header gives the next."
)


class ListQuery(BaseModel):
    """Query parameters every list takes. An unknown parameter is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=500, description="Page size, 1-500.", examples=[100])
    cursor: str | None = Field(
        None,
        max_length=512,
        description=CURSOR_HELP,
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )
    format: Annotated[Format | None, AnyCase] = Field(None, description=FORMAT_HELP)


async def country_filter(
    request: Request,
    country: Annotated[CountryForm | None, Query(description=COUNTRY_HELP, examples=["LV"])] = None,
) -> str | None:
    return country_code("country", country)


CountryFilter = Annotated[str | None, Depends(country_filter)]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1-500.", examples=[100])]

CursorParam = Annotated[
    str | None,
    Query(description=CURSOR_HELP, max_length=512, json_schema_extra={"pattern": CURSOR_PATTERN}),
]

FormatParam = Annotated[Format | None, AnyCase, Query(alias="format", description=FORMAT_HELP)]


# A YYYY / YYYY-MM / YYYY-MM-DD parameter's schema: the dates `partial_date_param` reads.
PARTIAL_DATE_SCHEMA: dict[str, Any] = {"pattern": PARTIAL_DATE_PATTERN}


def partial_date_param(name: str, value: str | None, *, end: bool) -> dt.date | None:
    """A YYYY / YYYY-MM / YYYY-MM-DD parameter as the first or last day of its period."""
    if value is None:
        return None
    try:
        start, last = parse_partial(value.strip())
    except ValueError as exc:
        raise invalid_parameter(name, f"{exc}") from exc
    return last if end else start


def as_of_param(value: str | None) -> dt.date | None:
    """The `as_of` parameter (`app.dates.as_of_date`); None when not given."""
    if value is None:
        return None
    try:
        return as_of_date(value, today())
    except ValueError as exc:
        raise invalid_parameter("as_of", f"{exc}") from exc
