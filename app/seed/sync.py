"""The only bulk writer: brings the store in line with seed_data/ (records file + articles)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from app.db.session import write_session
from app.derived.refresh import Changes, refresh_derived
from app.models import SearchDocument
from app.queries.provenance import citations_with_sentences
from app.seed.curated import (
    CuratedRows,
    RecordKey,
    broken_curated_citations,
    check_curated_sources,
    load_curated,
)
from app.seed.dataset import RecordsError, load_dataset
from app.seed.rows import desired_rows

T = TypeVar("T")


class Track(Protocol):
    """Reports progress through `items` (a progress bar in a terminal), yielding each."""

    def __call__(self, items: Sequence[T], description: str) -> Iterable[T]: ...


def untracked(items: Sequence[T], description: str) -> Iterable[T]:
    return items


@dataclass
class SeedReport:
    """Rows inserted, updated and deleted per table."""

    changes: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # Stored documents rebuilt because their record, citations or aliases changed.
    documents: int = 0
    # Tally rows changed because the records they count changed.
    tallies: int = 0
    # Curated records the seed file has rows for, left as the curators made them.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.changes.values()) + self.documents + self.tallies


def _key_columns(model: type[SQLModel]) -> tuple[str, ...]:
    if model is SearchDocument:
        return ("doc_type", "doc_id")
    return tuple(col.key for col in inspect(model).primary_key)


def _columns(model: type[SQLModel]) -> list[str]:
    """The columns the records file sets. Not a search document's id (a surrogate the database
    assigns; its key is (type, id)), nor a stored document (derived, see app.derived)."""
    skip = {"id"} if model is SearchDocument else {"doc"}
    return [attr.key for attr in inspect(model).column_attrs if attr.key not in skip]


def _key(row: Any, keys: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(row, k) for k in keys)


def sync(
    session: Session,
    plan: Iterable[tuple[type[SQLModel], list[SQLModel]]],
    *,
    track: Track = untracked,
    curated: CuratedRows | None = None,
) -> SeedReport:
    """Insert, update and delete so each table holds exactly the planned rows.

    Inserts and updates go parents first, deletes children first and last of all, so no row is
    deleted while a planned row still refers to it (a database cascade would take that along).
    Rows of curated records are left alone, planned or stored; the report names the records.
    """
    plan = list(plan)
    report = SeedReport()
    existing: dict[type[SQLModel], dict[tuple[Any, ...], Any]] = {}
    skipped: set[RecordKey] = set()
    for model, _rows in plan:
        keys = _key_columns(model)
        existing[model] = {_key(r, keys): r for r in session.exec(select(model))}
    upserted: dict[type[SQLModel], tuple[int, int]] = {}
    for model, rows in track(plan, "tables"):
        keys = _key_columns(model)
        columns = _columns(model)
        inserted = updated = 0
        for row in rows:
            key = _key(row, keys)
            owner = curated.owner(row) if curated else None
            if owner is None and curated and key in existing[model]:
                owner = curated.owner(existing[model][key])
            if owner is not None:
                skipped.add(owner)
                existing[model].pop(key, None)
                continue
            current = existing[model].pop(key, None)
            if current is None:
                session.add(row)
                inserted += 1
                continue
            changed = False
            for col in columns:
                value = getattr(row, col)
                if getattr(current, col) != value:
                    setattr(current, col, value)
                    changed = True
            updated += changed
        session.flush()
        upserted[model] = (inserted, updated)
    if curated:
        for model, _rows in plan:
            existing[model] = {
                key: row for key, row in existing[model].items() if curated.owner(row) is None
            }
    # What is left in `existing` is what the plan no longer has.
    for model, _rows in reversed(plan):
        for row in existing[model].values():
            session.delete(row)
        session.flush()
    for model, _rows in plan:
        inserted, updated = upserted[model]
        report.changes[str(model.__tablename__)] = (inserted, updated, len(existing[model]))
    report.skipped = sorted(skipped)
    return report


def seed(engine: Engine, seed_dir: Path, *, track: Track = untracked) -> SeedReport:
    """Load seed_dir and bring the store in line with it, in one transaction.

    Records the curators own are left as they are (and named in the report); the seed is
    refused when it would break a curated record's citation.
    """
    dataset = load_dataset(seed_dir)
    with write_session(engine) as session:
        curated = load_curated(session, dataset)
        check_curated_sources(session, dataset, curated)
        cited_before = {
            (c.record_type, c.record_id, c.position)
            for c, _sentence, _article in citations_with_sentences(session)
            if curated.owner(c) is not None
        }
        try:
            report = sync(session, desired_rows(dataset), curated=curated, track=track)
        except IntegrityError as exc:
            raise RecordsError(
                [f"the store refused the seed (does a curated record refer to it?): {exc.orig}"]
            ) from exc
        problems = broken_curated_citations(session, curated, cited_before)
        if problems:
            raise RecordsError(problems)
        refreshed = refresh_derived(
            session, Changes(everything=True, rows_changed=report.total > 0)
        )
        report.documents, report.tallies = refreshed.documents, refreshed.tallies
        session.commit()
    return report
