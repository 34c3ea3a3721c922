"""The wire contract: response shapes, the provenance object and the list envelope."""

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")

JSON_MEDIA_TYPE = "application/json; charset=utf-8"

# Vocabularies shared by the records file and the API filters.
CrossingStatus = Literal["open", "closed", "restricted", "unknown"]
Traffic = Literal["car", "truck", "bus", "pedestrian", "rail"]
RestrictionKind = Literal[
    "visa", "entry", "vehicle", "goods", "transit", "inspection", "pedestrian"
]
RestrictionStatus = Literal["in_force", "proposed", "planned", "lifted"]
FortificationKind = Literal[
    "fence", "wall", "bunkers", "minefield", "anti_tank", "surveillance", "line"
]
FortificationStatus = Literal["proposed", "planned", "under_construction", "completed", "rejected"]
# As answered: on a date no source covers, a measure's or a project's status is `unknown`.
RestrictionStatusOut = Literal[RestrictionStatus, Literal["unknown"]]
FortificationStatusOut = Literal[FortificationStatus, Literal["unknown"]]
EventKind = Literal[
    "closure",
    "opening",
    "ban",
    "completion",
    "agreement",
    "meeting",
    "proposal",
    "decision",
    "withdrawal",
    "accession",
    "suspension",
    "inspection",
    "statement",
]


StatusBasis = Literal["reported", "implied", "none"]
BASIS_HELP = (
    "What the status rests on, for the date answered: `reported`, a source states it for that "
    "date or an earlier one with no change since; `implied`, it follows from a dated change "
    "(the status just before it), named in `status_event`; `none`, no source covers the date "
    "and the status is `unknown`."
)
STATUS_EVENT_HELP = (
    "The dated event the status rests on: the change it follows, or the one it is implied by; "
    "null when it rests on the record's own citations or on nothing."
)
LAST_REPORTED_HELP = (
    "The publication date of the newest article supporting the answer, at that article's "
    "precision (YYYY, YYYY-MM or YYYY-MM-DD); null when nothing supports it."
)
STALE_HELP = (
    "True when `last_reported` is older than STALE_AFTER_DAYS (180 by default) on the date "
    "answered, or nothing supports the answer."
)


class Provenance(BaseModel):
    """Where a statement comes from: `sentence == article[char_start:char_end]`."""

    source_file: str = Field(examples=["001_2d175952eb0183b5.txt"])
    sentence_index: int = Field(description="0-based index of the sentence in its article.")
    sentence: str = Field(description="The exact text of the cited sentence.")
    char_start: int = Field(description="Offset of the sentence (Unicode code points).")
    char_end: int
    quote: str = Field(description="The span of the sentence that supports the record.")
    quote_start: int
    quote_end: int


class Meta(BaseModel):
    total: int = Field(description="Records matching the filters, over all pages.")
    limit: int
    next: str | None = Field(description="Cursor for the next page; null on the last page.")


class Page(BaseModel, Generic[T]):
    data: list[T]
    meta: Meta


class BorderStatusNote(BaseModel):
    """A border-level status, for borders whose checkpoints the sources don't name."""

    border_id: str
    status: str
    status_since: str | None
    summary: str | None
    provenance: list[Provenance]


AS_OF_META = "The date the answer is for: `as_of`'s, or today's (UTC)."


class CrossingsMeta(Meta):
    as_of: str = Field(description=AS_OF_META, examples=["2026-12-03"])
    border_statuses: list[BorderStatusNote] = Field(
        default_factory=list,
        description="Border-level statuses of the borders in scope that have no named crossing "
        "(e.g. a country that closed all its crossings).",
    )
    note: str | None = None


class DatedMeta(Meta):
    as_of: str = Field(description=AS_OF_META, examples=["2026-12-03"])


class Subject(BaseModel):
    type: str
    id: str


class FieldChange(BaseModel):
    field: str = Field(examples=["traffic"])
    before: Any = Field(examples=[["car", "pedestrian"]])
    after: Any = Field(examples=[["car"]])


class EventOut(BaseModel):
    id: str
    date: str = Field(examples=["2023-12"], description="YYYY, YYYY-MM or YYYY-MM-DD.")
    date_inferred: bool
    date_note: str | None
    kind: str
    summary: str
    countries: list[str]
    subject: Subject | None
    status_before: str | None
    status_after: str | None
    changes: list[FieldChange] = Field(
        description="The subject's other fields it set, by name: earlier dates get `before`."
    )
    provenance: list[Provenance]


class ClaimOut(BaseModel):
    value: str
    value_num: float | None
    preferred: bool
    note: str | None
    provenance: list[Provenance]


class FactOut(BaseModel):
    id: str
    subject: Subject
    topic: str
    summary: str
    unit: str | None
    disputed: bool
    preferred_reason: str | None
    preferred_value: str | None
    claims: list[ClaimOut]


class CrossingOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "terehova",
                "name": "Terehova",
                "counterpart": "Burachki",
                "aliases": ["Terekhovo", "Terekhovo – Burachki"],
                "country": "LV",
                "neighbour": "RU",
                "border_id": "LV-RU",
                "status": "restricted",
                "traffic": ["bus", "car", "truck"],
                "status_since": "2025",
                "provenance": [],
            }
        }
    )

    id: str = Field(description="Stable slug.")
    name: str = Field(description="Official name on the NATO side, with its diacritics.")
    counterpart: str | None = Field(description="The checkpoint's name on the other side.")
    aliases: list[str] = Field(description="Every other spelling the sources use.")
    country: str = Field(description="ISO 3166-1 alpha-2 of the NATO side.")
    neighbour: str = Field(description="RU or BY.")
    border_id: str
    status: CrossingStatus = Field(description="The status as of `as_of` (today without it).")
    traffic: list[Traffic]
    status_since: str | None
    status_since_inferred: bool
    status_since_note: str | None
    status_basis: StatusBasis = Field(description=BASIS_HELP)
    status_event: str | None = Field(description=STATUS_EVENT_HELP)
    notes: str | None
    provenance: list[Provenance]
    last_reported: str | None = Field(description=LAST_REPORTED_HELP, examples=["2026-01"])
    stale: bool = Field(description=STALE_HELP)


class CrossingDetail(CrossingOut):
    history: list[EventOut] = Field(description="Dated status changes, oldest first.")
    facts: list[FactOut]


class CrossingsPage(BaseModel):
    data: list[CrossingOut]
    meta: CrossingsMeta


class RestrictionOut(BaseModel):
    id: str
    kind: RestrictionKind
    summary: str
    countries: list[str]
    status: RestrictionStatusOut = Field(description="The status as of `as_of` (today without it).")
    since: str | None
    since_inferred: bool
    since_note: str | None
    status_basis: StatusBasis = Field(description=BASIS_HELP)
    status_event: str | None = Field(description=STATUS_EVENT_HELP)
    until: str | None
    provenance: list[Provenance]
    last_reported: str | None = Field(description=LAST_REPORTED_HELP, examples=["2026-01"])
    stale: bool = Field(description=STALE_HELP)


class RestrictionsPage(Page[RestrictionOut]):
    meta: DatedMeta


class RestrictionDetail(RestrictionOut):
    history: list[EventOut]


class FortificationOut(BaseModel):
    id: str
    country: str | None = Field(description="The country, or null for a joint project.")
    countries: list[str]
    neighbour: str | None
    kind: FortificationKind
    summary: str
    status: FortificationStatusOut = Field(
        description="The status as of `as_of` (today without it)."
    )
    status_basis: StatusBasis = Field(description=BASIS_HELP)
    status_event: str | None = Field(description=STATUS_EVENT_HELP)
    length_km: float | None
    budget_eur: float | None
    count: int | None
    completion: str | None
    completion_inferred: bool
    completion_note: str | None
    provenance: list[Provenance]
    last_reported: str | None = Field(description=LAST_REPORTED_HELP, examples=["2026-01"])
    stale: bool = Field(description=STALE_HELP)

    @model_validator(mode="before")
    @classmethod
    def _one_country(cls, values: Any) -> Any:
        """`country` is the one country building it, when not given."""
        if isinstance(values, dict) and "country" not in values:
            countries = values.get("countries") or []
            return {**values, "country": countries[0] if len(countries) == 1 else None}
        return values


class FortificationsPage(Page[FortificationOut]):
    meta: DatedMeta


class FortificationDetail(FortificationOut):
    history: list[EventOut]
    facts: list[FactOut]


class CrossingCounts(BaseModel):
    open: int = 0
    closed: int = 0
    restricted: int = 0
    unknown: int = 0


class BorderOut(BaseModel):
    id: str = Field(examples=["NO-RU"])
    country: str
    neighbour: str
    status: CrossingStatus = Field(description="Border-level status, as of `as_of`.")
    status_since: str | None
    status_since_inferred: bool
    status_since_note: str | None
    status_basis: StatusBasis = Field(description=BASIS_HELP)
    status_event: str | None = Field(description=STATUS_EVENT_HELP)
    summary: str | None
    crossing_counts: CrossingCounts
    not_revised_for: list[str] = Field(
        description="The ids of its crossings' status changes dated after the newest article "
        "its status and summary rest on, up to the date answered: the border's own status and "
        "summary were written before them and not revised since.",
        examples=[["koidula-2026-11-30-01-restricted"]],
    )
    facts: list[FactOut]
    disputed: bool = Field(description="True when any of the border's facts is disputed.")
    provenance: list[Provenance]
    last_reported: str | None = Field(description=LAST_REPORTED_HELP, examples=["2026-01"])
    stale: bool = Field(description=STALE_HELP)


class EmbeddedList(BaseModel):
    """A list a detail answer embeds: its first records only; `url` pages through them all."""

    total: int = Field(description="How many records the list has.")
    url: str = Field(description="The list endpoint that pages through all of them.")


EMBEDDED_LIMIT = 100


class BorderDetail(BorderOut):
    crossings: list[CrossingOut] = Field(
        description=f"The border's first {EMBEDDED_LIMIT} crossings by id; `lists.crossings` "
        "says how many there are and where to page through them."
    )
    history: list[EventOut]
    lists: dict[str, EmbeddedList]


class CountryOut(BaseModel):
    code: str
    name: str
    role: str = Field(description="nato | neighbour | other")


class CountryDetail(CountryOut):
    borders: list[BorderOut]
    crossing_counts: CrossingCounts
    crossings: list[CrossingOut] = Field(description=f"The first {EMBEDDED_LIMIT}, by id.")
    restrictions: list[RestrictionOut] = Field(description=f"The first {EMBEDDED_LIMIT}, by id.")
    fortifications: list[FortificationOut] = Field(
        description=f"The first {EMBEDDED_LIMIT}, by id."
    )
    events: list[EventOut] = Field(description=f"The first {EMBEDDED_LIMIT}, oldest first.")
    lists: dict[str, EmbeddedList] = Field(
        description="For each embedded list: how many records it has, and the list endpoint "
        "that pages through them all."
    )
    last_reported: str | None = Field(
        description="The newest `last_reported` of its borders and embedded records.",
        examples=["2026-01"],
    )
    stale: bool = Field(description=STALE_HELP)


class SourceOut(BaseModel):
    file: str
    sha256: str
    title: str
    publisher: str | None
    published: str | None
    published_inferred: bool
    published_note: str | None
    sentence_count: int


class CitedBy(BaseModel):
    record_type: str
    record_id: str
    quote: str


class SentenceOut(BaseModel):
    source_file: str
    sentence_index: int
    kind: str = Field(description="title | heading | body | bullet | caption")
    text: str
    char_start: int
    char_end: int
    cited_by: list[CitedBy]


class SourceDetail(SourceOut):
    text: str = Field(description="The article exactly as stored; offsets index into it.")
    sentences: list[SentenceOut]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, object]] | None = None
