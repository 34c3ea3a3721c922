"""The write API's request bodies.

Fields the server owns (ids, provenance offsets, timestamps, stored documents) are not among
them: an unknown or forbidden field is a 422 naming it. In a PATCH, a field left out keeps its
value and a field sent as null clears it (a required field can't be cleared).

Bodies are strict: a value of another JSON type than its field's is a 422 naming the field,
never converted (`"yes"` is not `true`, `true` is not `1`, `"12"` is not `12`, `12` is not
`"12"`). Dates and the vocabularies are JSON strings, as documented; any number is taken where
a decimal is, and a whole one (`12` or `12.0`) where an integer is.
"""

from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, field_validator
from pydantic.fields import FieldInfo

from app.fields import CountryCode, NatoCode, NeighbourCode, PartialDate
from app.schemas import (
    CrossingStatus,
    EventKind,
    FortificationKind,
    FortificationStatus,
    RestrictionKind,
    RestrictionStatus,
    Traffic,
)


def _integral(value: Any) -> Any:
    # JSON has one kind of number, and JSON Schema's "integer" takes 12.0 as 12; a bool or a
    # string is still not one.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A name or summary makes a record's id (`app.names.slug`): it needs a letter or digit.
WORDS = "^[^\\u0000]*[^\\W_][^\\u0000]*$"
Name = Annotated[str, Field(min_length=1, max_length=200, json_schema_extra={"pattern": WORDS})]
Summary = Annotated[str, Field(min_length=1, max_length=2000, json_schema_extra={"pattern": WORDS})]
Note = Annotated[str, Field(max_length=2000)]
Count = Annotated[int, Field(ge=0, le=10**9), BeforeValidator(_integral)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


NO_NUL = "^[^\\u0000]*$"


def _strings_without_nul(schema: Any) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema:
            schema["pattern"] = NO_NUL
        for value in schema.values():
            _strings_without_nul(value)
    elif isinstance(schema, list):
        for value in schema:
            _strings_without_nul(value)


def _documented_body(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """What the validators check is in the schema too: no string holds NUL, and a field that
    may be left out but not null is documented without null."""
    _strings_without_nul(schema)
    for name in getattr(model, "not_null", ()):
        field = schema["properties"][name]
        choices = [choice for choice in field.pop("anyOf", []) if choice.get("type") != "null"]
        if len(choices) == 1:
            field.update(choices[0])
        elif choices:
            field["anyOf"] = choices


def _vocabulary(annotation: Any) -> bool:
    """Whether a field takes words of a vocabulary (a Literal, a list of one, or either or
    None)."""
    if get_origin(annotation) is Literal:
        return all(isinstance(word, str) for word in get_args(annotation))
    return any(_vocabulary(arg) for arg in get_args(annotation) if arg is not type(None))


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_documented_body)
    # Fields that may be left out of a PATCH but not set to null.
    not_null: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text can't hold NUL, and no name or quote contains one.
        if _has_nul(value):
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _given_not_null(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name in cls.not_null:
            raise ValueError("may be left out, but not null")
        if _vocabulary(cls.model_fields[info.field_name].annotation):
            # A status, kind or traffic mode in any case: `Closed` is `closed`.
            if isinstance(value, str):
                return value.lower()
            if isinstance(value, list):
                return [v.lower() if isinstance(v, str) else v for v in value]
        return value


class CitationIn(Body):
    """A quote found verbatim, exactly once, inside one sentence of a stored source."""

    file: str = Field(min_length=1, max_length=255, examples=["001_2d175952eb0183b5.txt"])
    text: str = Field(min_length=1, max_length=2000)


Citations = Annotated[
    list[CitationIn],
    Field(min_length=1, max_length=20, description="At least one quote supporting the write."),
]
Effective = Annotated[
    PartialDate,
    Field(
        description="When a status change took effect (YYYY, YYYY-MM or YYYY-MM-DD); "
        "default: today. Only with a status change."
    ),
]


class StatusChange(Body):
    """What a PATCH carries besides the fields: its citations and, for a status change, the
    dated event it becomes."""

    citations: Citations
    effective: Effective = None
    event_kind: EventKind | None = Field(
        default=None, description="The status event's kind; default from the new status."
    )
    event_summary: Summary | None = Field(
        default=None, description="The status event's summary; default: 'X: before → after'."
    )
    keep: list[Literal["notes", "summary", "citations"]] = Field(
        default=[],
        max_length=3,
        description="Only with a status change: what still holds after it. A status change "
        "makes the record's text and citations untrue: its citations become the ones the "
        "PATCH gives, unless `citations` is kept, and it must give new `notes` (a crossing) "
        "or a new `summary` (a restriction or fortification), or keep them. The old text and "
        "citations stay in the record's revisions.",
    )


ALIASES = (
    "Other names the crossing is found by. Served sorted, each once; one equal to the name or "
    "the counterpart is left out, as those are found already."
)


class CrossingCreate(Body):
    name: Name
    counterpart: Name | None = None
    aliases: list[Name] = Field(default=[], max_length=50, description=ALIASES)
    country: NatoCode
    neighbour: NeighbourCode
    status: CrossingStatus
    traffic: list[Traffic] = []
    status_since: PartialDate = None
    status_since_inferred: bool = False
    status_since_note: Note | None = None
    notes: Summary | None = None
    citations: Citations


class RestrictionCreate(Body):
    kind: RestrictionKind
    summary: Summary
    countries: Annotated[list[CountryCode], Field(min_length=1, max_length=50)]
    status: RestrictionStatus
    since: PartialDate = None
    since_inferred: bool = False
    since_note: Note | None = None
    until: PartialDate = None
    citations: Citations


class FortificationCreate(Body):
    kind: FortificationKind
    summary: Summary
    countries: Annotated[list[CountryCode], Field(min_length=1, max_length=50)]
    neighbour: NeighbourCode | None = None
    status: FortificationStatus
    length_km: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    budget_eur: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    count: Count | None = None
    completion: PartialDate = None
    completion_inferred: bool = False
    completion_note: Note | None = None
    citations: Citations


def _patch_of(name: str, create: type[Body]) -> type[StatusChange]:
    """A kind's PATCH body: its create body's fields, each optional (left out, it keeps its
    value); one its create body can't hold null may be left out but not sent as null."""
    fields: dict[str, Any] = {}
    not_null: list[str] = []
    for field_name, info in create.model_fields.items():
        if field_name in StatusChange.model_fields:
            continue
        annotation: Any = info.annotation
        if type(None) not in get_args(annotation):
            not_null.append(field_name)
            annotation = annotation | None
        fields[field_name] = (annotation, FieldInfo.merge_field_infos(info, default=None))
    patch = create_model(name, __base__=StatusChange, __module__=__name__, **fields)
    patch.not_null = tuple(not_null)
    return patch


CrossingPatch = _patch_of("CrossingPatch", CrossingCreate)
RestrictionPatch = _patch_of("RestrictionPatch", RestrictionCreate)
FortificationPatch = _patch_of("FortificationPatch", FortificationCreate)


RecordCreate = CrossingCreate | RestrictionCreate | FortificationCreate

# A file name is a path segment of /v1/sources/{file}: no slashes, no leading dot.
SOURCE_FILE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"


class SourceIn(Body):
    """An article to store verbatim: its text exactly as published, and what it is."""

    file: str = Field(pattern=SOURCE_FILE, examples=["004_lv_checkpoint_closure.txt"])
    title: Name
    publisher: Name | None = None
    published: PartialDate = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD.")
    published_inferred: bool = False
    published_note: Note | None = None
    text: str = Field(min_length=1, max_length=1_000_000, description="The article, verbatim.")
