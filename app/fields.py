"""Field types the seed file and the write API's bodies share: a country code, a partial date."""

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from app.dates import parse_partial


def partial_date(value: str | None) -> str | None:
    """The value, when it is None or a partial date of the calendar; ValueError otherwise."""
    if value is not None:
        parse_partial(value)
    return value


# The pattern documents the shape; the validator also checks the calendar (no 2023-02-30).
PartialDate = Annotated[
    Annotated[str, StringConstraints(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")] | None,
    AfterValidator(partial_date),
]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
