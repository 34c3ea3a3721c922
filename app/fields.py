"""Field types the seed file and the write API's bodies share: a country code, a partial date."""

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from app.countries import COUNTRIES, NATO, NEIGHBOURS, country_of
from app.dates import PARTIAL_DATE_PATTERN, parse_partial


def partial_date(value: str | None) -> str | None:
    """The value, when it is None or a partial date of the calendar; ValueError otherwise."""
    if value is not None:
        parse_partial(value)
    return value


# The validator reads it (and names what is wrong); the schema's pattern says exactly which
# dates it takes, the calendar's (no 0000, no 2023-02-30).
PartialDate = Annotated[
    Annotated[str, Field(json_schema_extra={"pattern": PARTIAL_DATE_PATTERN})] | None,
    AfterValidator(partial_date),
]


def _as_code(value: Any) -> Any:
    # A code in any case, an alpha-3 code or an English name, as its alpha-2 code.
    return (country_of(value) or value) if isinstance(value, str) else value


def _codes(codes: tuple[str, ...]) -> Any:
    """An alpha-2 code, documented as one of `codes`."""
    return Field(pattern=r"^[A-Z]{2}$", json_schema_extra={"enum": list(codes)})


# A country in a body or the seed file: documented as the alpha-2 codes it takes, read as
# `app.countries` reads a country (so `lv`, `LVA` and `Latvia` are LV).
AsCode = BeforeValidator(_as_code)
CountryCode = Annotated[str, AsCode, _codes(tuple(COUNTRIES))]
NatoCode = Annotated[str, AsCode, _codes(NATO)]
NeighbourCode = Annotated[str, AsCode, _codes(NEIGHBOURS)]
