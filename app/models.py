"""SQLModel table classes: the store's schema (changed only through migrations)."""

import datetime as dt

from sqlalchemy import Column, ForeignKeyConstraint, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Country(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)
    name: str
    role: str = Field(max_length=16)  # nato | neighbour | other


class Source(SQLModel, table=True):
    file: str = Field(primary_key=True, max_length=255)
    sha256: str = Field(max_length=64, unique=True)
    title: str
    publisher: str | None = None
    published: str | None = Field(default=None, max_length=10)
    published_inferred: bool = False
    published_note: str | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))


class Sentence(SQLModel, table=True):
    source_file: str = Field(primary_key=True, foreign_key="source.file", ondelete="CASCADE")
    sentence_index: int = Field(primary_key=True)
    char_start: int
    char_end: int
    kind: str = Field(max_length=16)  # body | heading | bullet | caption
    text: str = Field(sa_column=Column(Text, nullable=False))


class Border(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=5)  # "NO-RU"
    country: str = Field(foreign_key="country.code", index=True)
    neighbour: str = Field(foreign_key="country.code", index=True)
    status: str = Field(max_length=16)
    status_since: str | None = Field(default=None, max_length=10)
    status_since_start: dt.date | None = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    summary: str | None = None


class Crossing(SQLModel, table=True):
    # Each filter's index ends in the id, so a page in id order is read off the index in order.
    __table_args__ = (
        Index("ix_crossing_country_id", "country", "id"),
        Index("ix_crossing_neighbour_id", "neighbour", "id"),
        Index("ix_crossing_status_id", "status", "id"),
        Index("ix_crossing_country_status_id", "country", "status", "id"),
        Index("ix_crossing_neighbour_status_id", "neighbour", "status", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str
    counterpart: str | None = None
    country: str = Field(foreign_key="country.code")
    neighbour: str = Field(foreign_key="country.code")
    border_id: str = Field(foreign_key="border.id", index=True)
    status: str = Field(max_length=16)
    status_since: str | None = Field(default=None, max_length=10)
    status_since_start: dt.date | None = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    notes: str | None = None
    # The record as the API serves it (JSON), kept current by every write; lists send it as is.
    doc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CrossingAlias(SQLModel, table=True):
    __tablename__ = "crossing_alias"

    crossing_id: str = Field(primary_key=True, foreign_key="crossing.id", ondelete="CASCADE")
    alias: str = Field(primary_key=True)
    kind: str = Field(max_length=16)  # name | counterpart | alias
    # The alias folded for lookups: lower-case ASCII letters and digits only.
    alias_key: str = Field(index=True)


class CrossingTraffic(SQLModel, table=True):
    __tablename__ = "crossing_traffic"
    # The crossings of one mode in id order: a traffic page is read off this index.
    __table_args__ = (Index("ix_crossing_traffic_mode_crossing", "mode", "crossing_id"),)

    crossing_id: str = Field(primary_key=True, foreign_key="crossing.id", ondelete="CASCADE")
    mode: str = Field(primary_key=True, max_length=16)


class Restriction(SQLModel, table=True):
    __table_args__ = (
        Index("ix_restriction_kind_id", "kind", "id"),
        Index("ix_restriction_status_id", "status", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    summary: str
    status: str = Field(max_length=16)
    since: str | None = Field(default=None, max_length=10)
    since_start: dt.date | None = None
    since_inferred: bool = False
    since_note: str | None = None
    until: str | None = Field(default=None, max_length=10)
    until_start: dt.date | None = None
    # The record as the API serves it (JSON), kept current by every write; lists send it as is.
    doc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RestrictionCountry(SQLModel, table=True):
    __tablename__ = "restriction_country"
    # A country's restrictions in id order: a country page is read off this index.
    __table_args__ = (Index("ix_restriction_country_country_id", "country", "restriction_id"),)

    restriction_id: str = Field(primary_key=True, foreign_key="restriction.id", ondelete="CASCADE")
    country: str = Field(primary_key=True, foreign_key="country.code")


class Fortification(SQLModel, table=True):
    __table_args__ = (
        Index("ix_fortification_kind_id", "kind", "id"),
        Index("ix_fortification_status_id", "status", "id"),
        Index("ix_fortification_neighbour_id", "neighbour", "id"),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    summary: str
    status: str = Field(max_length=24)
    neighbour: str | None = Field(default=None, foreign_key="country.code")
    length_km: float | None = None
    budget_eur: float | None = None
    count: int | None = None
    completion: str | None = Field(default=None, max_length=10)
    completion_inferred: bool = False
    completion_note: str | None = None
    # The record as the API serves it (JSON), kept current by every write; lists send it as is.
    doc: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class FortificationCountry(SQLModel, table=True):
    __tablename__ = "fortification_country"

    __table_args__ = (Index("ix_fortification_country_country_id", "country", "fortification_id"),)

    fortification_id: str = Field(
        primary_key=True, foreign_key="fortification.id", ondelete="CASCADE"
    )
    country: str = Field(primary_key=True, foreign_key="country.code")


class Fact(SQLModel, table=True):
    """A figure or name the articles state about a record; disputed when its claims disagree."""

    __table_args__ = (Index("ix_fact_subject", "subject_type", "subject_id"),)

    id: str = Field(primary_key=True, max_length=64)
    subject_type: str = Field(max_length=16)
    subject_id: str = Field(max_length=64)
    topic: str = Field(max_length=64)
    summary: str
    unit: str | None = None
    disputed: bool = Field(default=False, index=True)
    preferred_reason: str | None = None


class Claim(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=80)  # "<fact id>#<n>"
    fact_id: str = Field(foreign_key="fact.id", index=True, ondelete="CASCADE")
    position: int
    value: str
    value_num: float | None = None
    preferred: bool = False
    note: str | None = None


class Event(SQLModel, table=True):
    # The timeline is in (date, id) order; these indexes give it without a sort.
    __table_args__ = (
        Index("ix_event_subject", "subject_type", "subject_id"),
        Index("ix_event_date_id", "date_start", "id"),
        Index("ix_event_kind_date_id", "kind", "date_start", "id"),
        Index(  # the few events that change other fields than a status
            "ix_event_field_changes",
            "subject_type",
            "subject_id",
            sqlite_where=text("changes IS NOT NULL"),
            postgresql_where=text("changes IS NOT NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    date: str = Field(max_length=10)
    date_start: dt.date
    date_inferred: bool = False
    date_note: str | None = None
    kind: str = Field(max_length=16)
    summary: str
    subject_type: str | None = Field(default=None, max_length=16)
    subject_id: str | None = Field(default=None, max_length=64)
    status_before: str | None = Field(default=None, max_length=24)
    status_after: str | None = Field(default=None, max_length=24)
    # The other fields it set, `{"<field>": {"before": ..., "after": ...}}` (null: none). The
    # citations it replaced are of record type "superseded" under the event's id.
    changes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class EventCountry(SQLModel, table=True):
    __tablename__ = "event_country"
    # A country's timeline in date order is read off this index; the date is the event's.
    __table_args__ = (Index("ix_event_country_timeline", "country", "date_start", "event_id"),)

    event_id: str = Field(primary_key=True, foreign_key="event.id", ondelete="CASCADE")
    country: str = Field(primary_key=True, foreign_key="country.code")
    date_start: dt.date


class CrossingTally(SQLModel, table=True):
    """Crossings per border side, status and traffic mode (mode '' counts every crossing).

    Derived from the crossings by `app.derived.tallies.refresh_tallies`, in every write's
    transaction (for the groups the write touched), so a list's total is a sum over a few rows
    instead of a count over every match.
    """

    __tablename__ = "crossing_tally"

    country: str = Field(primary_key=True, max_length=2)
    neighbour: str = Field(primary_key=True, max_length=2)
    status: str = Field(primary_key=True, max_length=16)
    mode: str = Field(primary_key=True, max_length=16)
    n: int


class RestrictionTally(SQLModel, table=True):
    """Restrictions per country, kind and status ('' counts each once), as `CrossingTally`."""

    __tablename__ = "restriction_tally"

    country: str = Field(primary_key=True, max_length=2)
    kind: str = Field(primary_key=True, max_length=16)
    status: str = Field(primary_key=True, max_length=16)
    n: int


class StatusPeriod(SQLModel, table=True):
    """A span of dates, `valid_from` up to but not including `valid_until`, over which a record
    is listed with one status, and that status's start, basis, event and newest report (what
    `app.dated.statuses_at` gives for any date in it).

    Derived from the record's dated events by `app.derived.periods.refresh_periods`, in every
    write's transaction, so that a list `as_of` a date reads an index instead of each record's
    history. A crossing has periods for all dates (`unknown` where the sources say nothing); a
    measure none for the dates before it existed, when it is not listed.
    """

    __tablename__ = "status_period"
    __table_args__ = (
        Index(
            "ix_status_period_record_status",
            "record_type",
            "record_id",
            "status",
            "valid_from",
            "valid_until",
        ),
    )

    record_type: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=64)
    valid_from: dt.date = Field(primary_key=True)
    valid_until: dt.date
    status: str = Field(max_length=24)
    since: str | None = Field(default=None, max_length=10)
    since_inferred: bool = False
    since_note: str | None = None
    basis: str = Field(default="reported", max_length=16)
    event: str | None = Field(default=None, max_length=64)
    last_reported: str | None = Field(default=None, max_length=10)


class CrossingCount(SQLModel, table=True):
    """How many of a border's crossings have a status from a day on (up to the border's next
    row for that status), from their status periods; kept by `app.derived.counts`."""

    __tablename__ = "crossing_count"

    border_id: str = Field(primary_key=True, max_length=8)
    status: str = Field(primary_key=True, max_length=24)
    day: dt.date = Field(primary_key=True)
    n: int


class Citation(SQLModel, table=True):
    """A record's quote, resolved to the sentence that holds it."""

    __table_args__ = (
        ForeignKeyConstraint(
            ["source_file", "sentence_index"],
            ["sentence.source_file", "sentence.sentence_index"],
            ondelete="CASCADE",
        ),
        Index("ix_citation_sentence", "source_file", "sentence_index"),
    )

    record_type: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=80)
    position: int = Field(primary_key=True)
    source_file: str = Field(max_length=255)
    sentence_index: int
    quote: str = Field(sa_column=Column(Text, nullable=False))
    quote_start: int
    quote_end: int


class SearchDocument(SQLModel, table=True):
    """One searchable text: a sentence or a record. Full-text indexed per dialect (migrations)."""

    __tablename__ = "search_document"

    __table_args__ = (UniqueConstraint("doc_type", "doc_id"),)

    id: int | None = Field(default=None, primary_key=True)
    doc_type: str = Field(max_length=16)  # sentence | crossing | restriction | ...
    doc_id: str = Field(max_length=300)
    title: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    # What the full-text index reads: the words that should match, folded to ASCII so that
    # 'Grebneva' finds 'Grebņeva' on every backend.
    terms: str = Field(sa_column=Column(Text, nullable=False))


class DataVersion(SQLModel, table=True):
    """One row, bumped by every change to the data, so every worker can tell when it changed."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    # The day every stored document was last built for (`app.derived.day`).
    documents_on: dt.date | None = None


class AuditEntry(SQLModel, table=True):
    """One write: who made it, when, to what, and the record's state before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_record", "record_type", "record_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime  # UTC
    curator: str = Field(max_length=64)  # the token's name
    method: str = Field(max_length=8)
    path: str = Field(sa_column=Column(Text, nullable=False))
    action: str = Field(max_length=16)  # create | update | ingest
    record_type: str = Field(max_length=16)
    record_id: str = Field(max_length=255)
    # The record as served (JSON), before and after the write.
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CuratedRecord(SQLModel, table=True):
    """A record the curators own: the seeder leaves it, its rows and its history alone."""

    __tablename__ = "curated_record"

    record_type: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=255)
    since: dt.datetime  # UTC
    audit_id: int = Field(foreign_key="audit_entry.id")


class RecordRevision(SQLModel, table=True):
    """A state of a record as it was served until a write replaced it."""

    __tablename__ = "record_revision"

    record_type: str = Field(primary_key=True, max_length=16)
    record_id: str = Field(primary_key=True, max_length=255)
    revision: int = Field(primary_key=True)
    state: str = Field(sa_column=Column(Text, nullable=False))
    until: dt.datetime  # UTC
    audit_id: int = Field(foreign_key="audit_entry.id")


class IdempotencyKey(SQLModel, table=True):
    """The answer to a write sent with an Idempotency-Key, replayed to a retry."""

    __tablename__ = "idempotency_key"

    curator: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    headers: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    created_at: dt.datetime  # UTC
