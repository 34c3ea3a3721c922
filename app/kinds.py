"""The record kinds, each declared once: crossing, restriction and fortification.

A kind names its table and link tables, its path and id, its dated status, its list filters,
its tally and the events a status change becomes. The list engine, the presenters, curation,
the derived data, the exports and search read these declarations and keep no table of kinds.
A kind's fields are its models' (`model_fields`): what is written out here is only what the
models can't say.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from app.history import NO_EVIDENCE, DatedStatus
from app.models import (
    Crossing,
    CrossingAlias,
    CrossingTally,
    CrossingTraffic,
    Fortification,
    FortificationCountry,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
)
from app.names import alias_rows
from app.schemas import (
    CrossingDetail,
    CrossingOut,
    FortificationDetail,
    FortificationOut,
    RestrictionDetail,
    RestrictionOut,
)

# Borders are no kind the curators write, but their status is dated the same way.
BORDER_STATUS = DatedStatus("status_since")


@dataclass(frozen=True)
class Listed:
    """Values a record lists from a link table: `model.<value>` of the rows whose `model.<key>`
    is the record's id (and whose `only[0]` is `only[1]`), served as the field `name`."""

    name: str
    model: Any
    key: str
    value: str
    only: tuple[str, str] | None = None
    # The link rows a write makes for a record from its values, where they are not one row per
    # value; and the record's fields those rows also depend on.
    rows: Callable[[Any, list[str]], list[Any]] | None = None
    depends_on: tuple[str, ...] = ()

    @property
    def key_column(self) -> Any:
        return getattr(self.model, self.key)

    @property
    def value_column(self) -> Any:
        return getattr(self.model, self.value)

    def rows_for(self, record: Any, values: Iterable[str]) -> list[Any]:
        """The link rows of `record` that list exactly `values` (each once)."""
        unique = list(dict.fromkeys(values))
        if self.rows is not None:
            return self.rows(record, unique)
        return [self.model(**{self.key: record.id, self.value: v}) for v in unique]


@dataclass(frozen=True)
class Filter:
    """A list filter: the record's `column`, or through `link` the link table's `column`.

    `equals` filters are read off indexes; `folded` matches a substring of a folded name, and
    `words` a case-insensitive substring (LIKE wildcards escaped with '/').
    """

    column: str
    link: Listed | None = None
    match: str = "equals"  # equals | folded | words


@dataclass(frozen=True)
class Tally:
    """A table counting a kind's records per group (`app.derived.tallies`).

    Its primary key's columns are the record's columns of the same name, and `link_column`,
    the value of `link` (one count per value, and '' counting every record once). A write's
    recount covers the groups of `group` columns its records were and are in.
    """

    model: Any
    link: Listed
    link_column: str
    group: tuple[str, ...]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.model.__table__.primary_key.columns]

    def column_of(self, kind: "Kind", filter_name: str) -> str | None:
        """The tally column a list filter is counted by, or None if none is."""
        spec = kind.filters.get(filter_name)
        if spec is None or spec.match != "equals":
            return None
        if spec.link is not None:
            return self.link_column if spec.link is self.link else None
        return spec.column if spec.column in self.keys else None


@dataclass(frozen=True, eq=False)
class Kind:
    """One kind of record: what every layer needs to know of it that its models don't say."""

    model: Any
    out: type[BaseModel]  # as lists serve it
    detail: type[BaseModel]  # as its detail endpoint serves it
    id_description: str
    id_example: str
    title: str  # the field a record is called by (its id is made from it)
    listed: tuple[Listed, ...]
    filters: dict[str, Filter]
    # The kind of the event a change to each status becomes, unless the curator says.
    event_kinds: dict[str, str]
    # A status with the date it holds from (it then has a history `as_of` reads, and status
    # periods), or None.
    status: DatedStatus | None = None
    # The date field a change to a status dates (`None` for any other status): a new status
    # sets `<field>`, `<field>_inferred` and `<field>_note` where the model has them.
    status_dates: dict[str | None, str] = field(default_factory=dict)
    # Columns derived from others when a write sets them.
    derived: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # The countries an event about the record is filed under: a column, or a `Listed` name.
    countries: str = "countries"
    tally: Tally | None = None
    # A status that ends on a date the record gives: (the date column, the status, the status
    # it becomes from that date).
    lapses: tuple[str, str, str] | None = None
    # Whether a list `as_of` a date the sources say nothing of lists the record as `unknown`
    # (a checkpoint was there) or leaves it out (a measure did not exist yet).
    listed_when_unknown: bool = True
    # The text that describes the record's state, which a status change makes untrue unless
    # the curator revises or keeps it.
    prose: str = "summary"

    @property
    def name(self) -> str:
        """The record type: its table's name, in citations, events, audit and search."""
        return str(self.model.__tablename__)

    @property
    def path(self) -> str:
        """Where its records are: /v1/<path>."""
        return f"{self.name}s"

    @property
    def dated(self) -> tuple[str, ...]:
        """Its partial-date columns: each followed by a `<column>_start` date."""
        fields = self.model.model_fields
        return tuple(c for c in fields if f"{c}_start" in fields)

    @property
    def columns(self) -> tuple[str, ...]:
        """The record's columns a write sets from its body as they are."""
        skip = {"id", "doc", *self.derived, *(f"{c}_start" for c in self.dated)}
        return tuple(c for c in self.model.model_fields if c not in skip)

    @property
    def history_fields(self) -> tuple[str, ...]:
        """The answer's fields a dated change carries (`app.changes`): all but its id, its
        dated status and what that rests on, and its provenance."""
        dated = set(self.status.fields(NO_EVIDENCE)) if self.status is not None else set()
        skip = {"id", "provenance", "stale", *dated}
        return tuple(name for name in self.out.model_fields if name not in skip)

    def listing(self, name: str) -> Listed:
        return next(link for link in self.listed if link.name == name)

    def countries_of(self, row: Any, lists: dict[str, list[str]]) -> list[str]:
        """The countries a record is filed under, from its row and its listed values."""
        if self.countries in lists:
            return lists[self.countries]
        return [getattr(row, self.countries)]

    def date_of_status(self, status: str) -> str | None:
        """The date field a change to `status` dates, if any."""
        return self.status_dates.get(status, self.status_dates.get(None))


ALIASES = Listed(
    "aliases",
    CrossingAlias,
    "crossing_id",
    "alias",
    only=("kind", "alias"),
    rows=lambda crossing, aliases: alias_rows(
        crossing.id, name=crossing.name, counterpart=crossing.counterpart, aliases=aliases
    ),
    depends_on=("name", "counterpart"),
)
# Every name a crossing is found by, folded (`app.names.fold`): what `q` matches.
NAME_KEYS = Listed("names", CrossingAlias, "crossing_id", "alias_key")
TRAFFIC = Listed("traffic", CrossingTraffic, "crossing_id", "mode")
RESTRICTION_COUNTRIES = Listed("countries", RestrictionCountry, "restriction_id", "country")
FORTIFICATION_COUNTRIES = Listed("countries", FortificationCountry, "fortification_id", "country")


def _filters(*columns: str, **others: Filter) -> dict[str, Filter]:
    """A kind's list filters: each of `columns` by its value, and `others`."""
    return {column: Filter(column) for column in columns} | others


# Words of a summary, any case.
WORDS = Filter("summary", match="words")

# A crossing's `country` is its NATO side and `neighbour` RU or BY, so the side a code is on is
# known from its role: `country_as_neighbour` is a neighbour's code (`app.queries.lists`).
CROSSING = Kind(
    model=Crossing,
    out=CrossingOut,
    detail=CrossingDetail,
    id_description="The crossing's slug.",
    id_example="storskog",
    title="name",
    prose="notes",
    listed=(ALIASES, TRAFFIC),
    filters=_filters(
        "country",
        "neighbour",
        "status",
        country_as_neighbour=Filter("neighbour"),
        traffic=Filter("mode", TRAFFIC),
        q_key=Filter("alias_key", NAME_KEYS, match="folded"),
    ),
    event_kinds={
        "closed": "closure",
        "open": "opening",
        "restricted": "suspension",
        "unknown": "statement",
    },
    status=DatedStatus("status_since"),
    status_dates={None: "status_since"},
    derived={"border_id": lambda row: f"{row.country}-{row.neighbour}"},
    countries="country",
    tally=Tally(CrossingTally, TRAFFIC, "mode", ("country", "status")),
)
RESTRICTION = Kind(
    model=Restriction,
    out=RestrictionOut,
    detail=RestrictionDetail,
    id_description="The restriction's slug.",
    id_example="no-russian-plated-cars-ban",
    title="summary",
    listed=(RESTRICTION_COUNTRIES,),
    filters=_filters("kind", "status", country=Filter("country", RESTRICTION_COUNTRIES), q=WORDS),
    event_kinds={
        "in_force": "ban",
        "lifted": "withdrawal",
        "proposed": "proposal",
        "planned": "decision",
    },
    status=DatedStatus("since"),
    status_dates={"lifted": "until", None: "since"},
    lapses=("until", "in_force", "lifted"),
    listed_when_unknown=False,
    tally=Tally(RestrictionTally, RESTRICTION_COUNTRIES, "country", ("kind", "status")),
)
FORTIFICATION = Kind(
    model=Fortification,
    out=FortificationOut,
    detail=FortificationDetail,
    id_description="The project's slug.",
    id_example="fi-border-fence",
    title="summary",
    listed=(FORTIFICATION_COUNTRIES,),
    filters=_filters(
        "kind",
        "status",
        country=Filter("country", FORTIFICATION_COUNTRIES),
        country_as_neighbour=Filter("neighbour"),
        q=WORDS,
    ),
    event_kinds={
        "completed": "completion",
        "under_construction": "decision",
        "planned": "decision",
        "proposed": "proposal",
        "rejected": "decision",
    },
    # No start of its status is stored: its history and its citations date it.
    status=DatedStatus(None),
    status_dates={"completed": "completion"},
    listed_when_unknown=False,
)

KINDS: dict[str, Kind] = {kind.name: kind for kind in (CROSSING, RESTRICTION, FORTIFICATION)}
BY_MODEL: dict[Any, Kind] = {kind.model: kind for kind in KINDS.values()}
# The record types whose status is dated, and how.
DATED: dict[str, DatedStatus] = {
    **{kind.name: kind.status for kind in KINDS.values() if kind.status is not None},
    "border": BORDER_STATUS,
}


def ids_by_type(records: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(record type, id) pairs as each type's ids, in order."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, record_id in sorted(records):
        by_type[record_type].append(record_id)
    return by_type
