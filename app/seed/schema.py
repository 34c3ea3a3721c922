"""The shape of seed_data/records.yaml: what each entry of the records file holds."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.countries import COUNTRIES, listing
from app.fields import CountryCode, PartialDate, partial_date
from app.schemas import (
    CrossingStatus,
    EventKind,
    FortificationKind,
    FortificationStatus,
    RestrictionKind,
    RestrictionStatus,
    Traffic,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quote(Strict):
    file: str
    text: str = Field(min_length=1)


Quotes = Annotated[list[Quote], Field(min_length=1)]


class HistoryState(BaseModel):
    """An earlier state of a record: the fields it gives (the others as in the state after
    it), until the dated event that ended it; and the quotes the record had then, where they
    differ from its quotes after."""

    model_config = ConfigDict(extra="allow", frozen=True)

    until: str = Field(pattern=r"^[a-z0-9-]+$")
    quotes: list[Quote] = []

    def given(self) -> dict[str, Any]:
        """The record's fields this state gives."""
        return dict(self.model_extra or {})


class Recorded(Strict):
    """A record entry: `history` holds its earlier states, oldest first. A state gives any of
    the record's fields but its id, status and status date (its events date those), each as
    the record would."""

    # The record's own fields a state can't give.
    undated: ClassVar[tuple[str, ...]] = ()
    id: str
    history: list[HistoryState] = []

    @model_validator(mode="after")
    def _states_fit(self) -> "Recorded":
        skip = {"id", "status", "quotes", "history", *self.undated}
        for n, state in enumerate(self.history):
            wrong = sorted(set(state.given()) - set(type(self).model_fields).difference(skip))
            if wrong:
                raise ValueError(f"history.{n} can't give {', '.join(wrong)}")
            # Each value as the record's own field would take it.
            type(self).model_validate(self.model_dump() | state.given() | {"history": []})
        return self


class CountryRecord(Strict):
    code: CountryCode
    name: str
    role: Literal["nato", "neighbour", "other"]

    @model_validator(mode="after")
    def _covered(self) -> "CountryRecord":
        # The API's schema lists the countries the service covers (app.countries).
        if COUNTRIES.get(self.code) != self.name:
            raise ValueError(
                f"{self.code} {self.name!r} is not a country the service covers as named in "
                f"app.countries: {listing(tuple(COUNTRIES))}"
            )
        return self


class SourceRecord(Strict):
    title: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    publisher: str | None = None
    published: PartialDate = None
    published_inferred: bool = False
    published_note: str | None = None
    # Lines of this article that are page chrome the general rules don't recognise.
    chrome: list[str] = []


class BorderRecord(Strict):
    id: str = Field(pattern=r"^[A-Z]{2}-[A-Z]{2}$")
    country: CountryCode
    neighbour: CountryCode
    status: CrossingStatus
    status_since: PartialDate = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    summary: str | None = None
    # Empty only for a border no article covers: it is listed, `unknown`, resting on nothing.
    quotes: list[Quote]

    @model_validator(mode="after")
    def _cited_unless_unknown(self) -> "BorderRecord":
        if not self.quotes and (self.status != "unknown" or self.summary or self.status_since):
            raise ValueError("a border with a status, a date or a summary needs quotes")
        return self


class CrossingRecord(Recorded):
    undated = ("status_since", "status_since_inferred", "status_since_note")
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    counterpart: str | None = None
    aliases: list[str] = []
    country: CountryCode
    neighbour: CountryCode
    status: CrossingStatus
    traffic: list[Traffic] = []
    status_since: PartialDate = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    notes: str | None = None
    quotes: Quotes


class RestrictionRecord(Recorded):
    undated = ("since", "since_inferred", "since_note")
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: RestrictionKind
    summary: str
    countries: Annotated[list[CountryCode], Field(min_length=1)]
    status: RestrictionStatus
    since: PartialDate = None
    since_inferred: bool = False
    since_note: str | None = None
    until: PartialDate = None
    quotes: Quotes


class FortificationRecord(Recorded):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: FortificationKind
    summary: str
    countries: Annotated[list[CountryCode], Field(min_length=1)]
    neighbour: CountryCode | None = None
    status: FortificationStatus
    length_km: float | None = None
    budget_eur: float | None = None
    count: int | None = None
    completion: PartialDate = None
    completion_inferred: bool = False
    completion_note: str | None = None
    quotes: Quotes


class ClaimRecord(Strict):
    value: str
    preferred: bool = False
    note: str | None = None
    quotes: Quotes


class FactRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    subject: str = Field(pattern=r"^(border|crossing|restriction|fortification|event):.+$")
    topic: str
    summary: str
    unit: str | None = None
    preferred_reason: str | None = None
    claims: Annotated[list[ClaimRecord], Field(min_length=1)]


class EventRecord(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    date: Annotated[str, AfterValidator(partial_date)]
    date_inferred: bool = False
    date_note: str | None = None
    kind: EventKind
    summary: str
    countries: list[CountryCode] = []
    subject: str | None = Field(
        default=None, pattern=r"^(border|crossing|restriction|fortification):.+$"
    )
    status_before: str | None = None
    status_after: str | None = None
    quotes: Quotes


class RecordsFile(Strict):
    countries: list[CountryRecord]
    sources: dict[str, SourceRecord]
    borders: list[BorderRecord]
    crossings: list[CrossingRecord]
    restrictions: list[RestrictionRecord]
    fortifications: list[FortificationRecord]
    facts: list[FactRecord] = []
    events: list[EventRecord] = []
