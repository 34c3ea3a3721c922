"""The only bulk writer: brings the store in line with seed_data/ (records file + articles)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from anyascii import anyascii
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, select

from app.dates import parse_partial, period_start
from app.documents import bump_data_version, refresh_documents, refresh_tallies
from app.models import (
    Border,
    Citation,
    Claim,
    Country,
    Crossing,
    CrossingAlias,
    CrossingTraffic,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    Restriction,
    RestrictionCountry,
    SearchDocument,
    Sentence,
    Source,
)
from app.records import Dataset, RecordsError, claim_id, load_dataset

NON_ALNUM = re.compile(r"[^a-z0-9]+")
T = TypeVar("T")


class Track(Protocol):
    """Reports progress through `items` (a progress bar in a terminal), yielding each."""

    def __call__(self, items: Sequence[T], description: str) -> Iterable[T]: ...


def untracked(items: Sequence[T], description: str) -> Iterable[T]:
    return items


def fold(value: str) -> str:
    """Lower-case ASCII letters and digits only: 'Grebņeva – Ubylinka' -> 'grebnevaubylinka'."""
    return NON_ALNUM.sub("", anyascii(value).lower())


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


@dataclass
class SeedReport:
    """Rows inserted, updated and deleted per table."""

    changes: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # Stored documents rebuilt because their record, citations or aliases changed.
    documents: int = 0
    # Tally rows changed because the records they count changed.
    tallies: int = 0

    @property
    def total(self) -> int:
        return sum(sum(c) for c in self.changes.values()) + self.documents + self.tallies


def desired_rows(dataset: Dataset) -> list[tuple[type[SQLModel], list[SQLModel]]]:
    """Every row the store should hold, table by table, parents before children."""
    rec = dataset.records
    sources = [
        Source(
            file=name,
            sha256=dataset.articles[name].sha256,
            title=meta.title,
            publisher=meta.publisher,
            published=meta.published,
            published_inferred=meta.published_inferred,
            published_note=meta.published_note,
            text=dataset.articles[name].text,
        )
        for name, meta in rec.sources.items()
    ]
    sentences = [
        Sentence(
            source_file=article.file,
            sentence_index=s.index,
            char_start=s.char_start,
            char_end=s.char_end,
            kind=s.kind,
            text=s.text,
        )
        for article in dataset.articles.values()
        for s in article.sentences
    ]
    aliases: list[SQLModel] = []
    for c in rec.crossings:
        names = [(c.name, "name")] + ([(c.counterpart, "counterpart")] if c.counterpart else [])
        seen: set[str] = set()
        for alias, kind in names + [(a, "alias") for a in c.aliases]:
            if alias not in seen:
                seen.add(alias)
                aliases.append(
                    CrossingAlias(crossing_id=c.id, alias=alias, kind=kind, alias_key=fold(alias))
                )
    claims = [
        Claim(
            id=claim_id(f.id, n),
            fact_id=f.id,
            position=n,
            value=claim.value,
            value_num=_number(claim.value),
            preferred=claim.preferred,
            note=claim.note,
        )
        for f in rec.facts
        for n, claim in enumerate(f.claims, start=1)
    ]
    return [
        (Country, [Country(code=c.code, name=c.name, role=c.role) for c in rec.countries]),
        (Source, list(sources)),
        (Sentence, list(sentences)),
        (
            Border,
            [
                Border(
                    id=b.id,
                    country=b.country,
                    neighbour=b.neighbour,
                    status=b.status,
                    status_since=b.status_since,
                    status_since_start=period_start(b.status_since),
                    status_since_inferred=b.status_since_inferred,
                    status_since_note=b.status_since_note,
                    summary=b.summary,
                )
                for b in rec.borders
            ],
        ),
        (
            Crossing,
            [
                Crossing(
                    id=c.id,
                    name=c.name,
                    counterpart=c.counterpart,
                    country=c.country,
                    neighbour=c.neighbour,
                    border_id=f"{c.country}-{c.neighbour}",
                    status=c.status,
                    status_since=c.status_since,
                    status_since_start=period_start(c.status_since),
                    status_since_inferred=c.status_since_inferred,
                    status_since_note=c.status_since_note,
                    notes=c.notes,
                )
                for c in rec.crossings
            ],
        ),
        (CrossingAlias, aliases),
        (
            CrossingTraffic,
            [
                CrossingTraffic(crossing_id=c.id, mode=mode)
                for c in rec.crossings
                for mode in dict.fromkeys(c.traffic)
            ],
        ),
        (
            Restriction,
            [
                Restriction(
                    id=r.id,
                    kind=r.kind,
                    summary=r.summary,
                    status=r.status,
                    since=r.since,
                    since_start=period_start(r.since),
                    since_inferred=r.since_inferred,
                    since_note=r.since_note,
                    until=r.until,
                    until_start=period_start(r.until),
                )
                for r in rec.restrictions
            ],
        ),
        (
            RestrictionCountry,
            [
                RestrictionCountry(restriction_id=r.id, country=code)
                for r in rec.restrictions
                for code in dict.fromkeys(r.countries)
            ],
        ),
        (
            Fortification,
            [
                Fortification(
                    id=f.id,
                    kind=f.kind,
                    summary=f.summary,
                    status=f.status,
                    neighbour=f.neighbour,
                    length_km=f.length_km,
                    budget_eur=f.budget_eur,
                    count=f.count,
                    completion=f.completion,
                    completion_inferred=f.completion_inferred,
                    completion_note=f.completion_note,
                )
                for f in rec.fortifications
            ],
        ),
        (
            FortificationCountry,
            [
                FortificationCountry(fortification_id=f.id, country=code)
                for f in rec.fortifications
                for code in dict.fromkeys(f.countries)
            ],
        ),
        (
            Fact,
            [
                Fact(
                    id=f.id,
                    subject_type=f.subject.partition(":")[0],
                    subject_id=f.subject.partition(":")[2],
                    topic=f.topic,
                    summary=f.summary,
                    unit=f.unit,
                    disputed=len({c.value for c in f.claims}) > 1,
                    preferred_reason=f.preferred_reason,
                )
                for f in rec.facts
            ],
        ),
        (Claim, list(claims)),
        (
            Event,
            [
                Event(
                    id=e.id,
                    date=e.date,
                    date_start=parse_partial(e.date)[0],
                    date_inferred=e.date_inferred,
                    date_note=e.date_note,
                    kind=e.kind,
                    summary=e.summary,
                    subject_type=e.subject.partition(":")[0] if e.subject else None,
                    subject_id=e.subject.partition(":")[2] if e.subject else None,
                    status_before=e.status_before,
                    status_after=e.status_after,
                )
                for e in rec.events
            ],
        ),
        (
            EventCountry,
            [
                EventCountry(event_id=e.id, country=code, date_start=parse_partial(e.date)[0])
                for e in rec.events
                for code in dict.fromkeys(e.countries)
            ],
        ),
        (
            Citation,
            [
                Citation(
                    record_type=q.record_type,
                    record_id=q.record_id,
                    position=q.position,
                    source_file=q.source_file,
                    sentence_index=q.sentence_index,
                    quote=q.quote,
                    quote_start=q.quote_start,
                    quote_end=q.quote_end,
                )
                for q in dataset.citations
            ],
        ),
        (SearchDocument, search_documents(dataset)),
    ]


def search_documents(dataset: Dataset) -> list[SQLModel]:
    """What /search looks through: every sentence (its own words), and every record's words."""
    rec = dataset.records
    docs: list[SQLModel] = []

    def add(doc_type: str, doc_id: str, title: str, *words: str | None) -> None:
        body = " ".join(w for w in words if w)
        docs.append(
            SearchDocument(
                doc_type=doc_type, doc_id=doc_id, title=title, body=body, terms=anyascii(body)
            )
        )

    for article in dataset.articles.values():
        for s in article.sentences:
            add("sentence", f"{article.file}#{s.index}", rec.sources[article.file].title, s.text)
    for c in rec.crossings:
        add("crossing", c.id, c.name, c.name, c.counterpart, " ".join(c.aliases), c.notes)
    for r in rec.restrictions:
        add("restriction", r.id, r.summary, r.summary)
    for f in rec.fortifications:
        add("fortification", f.id, f.summary, f.summary)
    for e in rec.events:
        add("event", e.id, e.summary, e.summary)
    for b in rec.borders:
        add("border", b.id, b.id, b.id, b.summary)
    for fact in rec.facts:
        add("fact", fact.id, fact.summary, fact.summary, *(c.value for c in fact.claims))
    return docs


def _key_columns(model: type[SQLModel]) -> tuple[str, ...]:
    if model is SearchDocument:
        return ("doc_type", "doc_id")
    return tuple(col.key for col in inspect(model).primary_key)


def _columns(model: type[SQLModel]) -> list[str]:
    """The columns the records file sets. Not a search document's id (a surrogate the database
    assigns; its key is (type, id)), nor a stored document (derived, see app.documents)."""
    skip = {"id"} if model is SearchDocument else {"doc"}
    return [attr.key for attr in inspect(model).column_attrs if attr.key not in skip]


def _key(row: Any, keys: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(row, k) for k in keys)


def sync(
    session: Session,
    plan: Iterable[tuple[type[SQLModel], list[SQLModel]]],
    *,
    track: Track = untracked,
) -> SeedReport:
    """Insert, update and delete so each table holds exactly the planned rows.

    Inserts and updates go parents first, deletes children first and last of all, so no row is
    deleted while a planned row still refers to it (a database cascade would take that along).
    """
    plan = list(plan)
    report = SeedReport()
    existing: dict[type[SQLModel], dict[tuple[Any, ...], Any]] = {}
    for model, _rows in plan:
        keys = _key_columns(model)
        existing[model] = {_key(r, keys): r for r in session.exec(select(model))}
    upserted: dict[type[SQLModel], tuple[int, int]] = {}
    for model, rows in track(plan, "tables"):
        keys = _key_columns(model)
        columns = _columns(model)
        inserted = updated = 0
        for row in rows:
            current = existing[model].pop(_key(row, keys), None)
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
    # What is left in `existing` is what the plan no longer has.
    for model, _rows in reversed(plan):
        for row in existing[model].values():
            session.delete(row)
        session.flush()
    for model, _rows in plan:
        inserted, updated = upserted[model]
        report.changes[str(model.__tablename__)] = (inserted, updated, len(existing[model]))
    return report


def seed(engine: Engine, seed_dir: Path, *, track: Track = untracked) -> SeedReport:
    """Load seed_dir and bring the store in line with it, in one transaction."""
    dataset = load_dataset(seed_dir)
    with Session(engine) as session:
        report = sync(session, desired_rows(dataset), track=track)
        report.documents = refresh_documents(session)
        report.tallies = refresh_tallies(session)
        if report.total:
            bump_data_version(session)
        session.commit()
    return report


def verify(engine: Engine, seed_dir: Path) -> list[str]:
    """Every broken citation, described; empty when all resolve.

    Checks the records file against the articles, then, where the store has been migrated,
    every stored citation against its article's text.
    """
    try:
        load_dataset(seed_dir)
    except RecordsError as exc:
        return exc.problems
    try:
        migrated = inspect(engine).has_table("citation")
    except OperationalError:
        migrated = False
    if not migrated:
        return []
    problems: list[str] = []
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT c.record_type, c.record_id, c.source_file, c.sentence_index, c.quote,"
                " c.quote_start, c.quote_end, s.char_start, s.char_end, s.text, src.text"
                " FROM citation c JOIN sentence s ON s.source_file = c.source_file"
                " AND s.sentence_index = c.sentence_index"
                " JOIN source src ON src.file = c.source_file"
            )
        ).all()
        for rtype, rid, file, idx, quote, qs, qe, ss, se, sentence, article in rows:
            where = f"{rtype} {rid!r}: citation {file}#{idx}"
            if article[ss:se] != sentence:
                problems.append(f"{where}: stored sentence differs from the article at {ss}:{se}")
            if article[qs:qe] != quote or not (ss <= qs and qe <= se):
                problems.append(f"{where}: quote {quote!r} is not in the sentence at {qs}:{qe}")
    return problems
