"""Bringing the derived data in line after a write: every writer calls `refresh_derived`
once, after its rows are written and before it commits."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session

from app.dated import today
from app.derived.counts import refresh_crossing_counts, touched_borders
from app.derived.day import mark_documents_on
from app.derived.documents import refresh_documents
from app.derived.periods import refresh_periods
from app.derived.search import search_documents_of, upsert_search_documents
from app.derived.tallies import TallyGroup, refresh_tallies, tally_groups
from app.derived.version import bump_data_version


@dataclass(frozen=True)
class Changes:
    """What a write changed: the derived data of exactly these is rebuilt."""

    # (record type, id) of crossings, restrictions and fortifications.
    records: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    events: frozenset[str] = field(default_factory=frozenset)
    sources: frozenset[str] = field(default_factory=frozenset)
    # The seeder: it rewrote rows anywhere, so every stored document is compared.
    everything: bool = False
    rows_changed: bool = False
    # The tally groups the records counted in before the write (`tally_groups`): a record
    # that moved out of a group must leave its count.
    counted_before: frozenset[TallyGroup] = frozenset()
    # Stored documents the writer has rendered already, by (record type, id): the records
    # as they are served after the write.
    documents: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.records or self.events or self.sources or self.rows_changed)


@dataclass(frozen=True)
class Refreshed:
    """What `refresh_derived` rewrote: stored documents, tally rows and status periods."""

    documents: int
    tallies: int
    periods: int = 0


def refresh_derived(session: Session, changes: Changes) -> Refreshed:
    """Bring the derived data in line after a write, in its transaction, and tell every
    worker the data changed.

    Only what `changes` names is rebuilt (a write touches a few records; the whole store can
    hold 100k). The seeder passes `everything`; its search documents are part of its plan.
    The tallies are recounted in the groups the records count in now or did before
    (`Changes.counted_before`), so a write's recount is bounded by its groups, not the store.
    """
    if changes.everything:
        rebuilt = refresh_documents(session)
        mark_documents_on(session, today())
        tallied = refresh_tallies(session)
        periods = refresh_periods(session)
        refresh_crossing_counts(session)
    else:
        rebuilt = refresh_documents(session, changes.records, changes.documents)
        docs = search_documents_of(
            session, records_of=changes.records, events=changes.events, sources=changes.sources
        )
        upsert_search_documents(session, docs)
        groups = changes.counted_before | tally_groups(session, changes.records)
        tallied = refresh_tallies(session, groups) if groups else 0
        periods = refresh_periods(session, changes.records)
        refresh_crossing_counts(session, touched_borders(session, changes.records, groups))
    if changes or rebuilt or tallied or periods:
        bump_data_version(session)
    return Refreshed(rebuilt, tallied, periods)
