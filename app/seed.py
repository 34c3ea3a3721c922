"""The only bulk writer: brings the store in line with seed_data/ (records file + articles)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from anyascii import anyascii
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel, select

from app.dates import parse_partial, period_start
from app.db.session import write_session
from app.derived.refresh import Changes, refresh_derived
from app.derived.search import record_search_document, search_document
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
from app.queries.provenance import citations_with_sentences
from app.queries.sources import sentences_of
from app.queries.store import curated_records, curated_sources, event_subjects
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


def alias_rows(
    crossing_id: str, *, name: str, counterpart: str | None, aliases: Iterable[str]
) -> list[CrossingAlias]:
    """Every name a crossing is found by: its name, its counterpart, then its other aliases."""
    names = [(name, "name")] + ([(counterpart, "counterpart")] if counterpart else [])
    rows: dict[str, CrossingAlias] = {}
    for alias, kind in names + [(a, "alias") for a in aliases]:
        if alias not in rows:
            rows[alias] = CrossingAlias(
                crossing_id=crossing_id, alias=alias, kind=kind, alias_key=fold(alias)
            )
    return list(rows.values())


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
    aliases: list[SQLModel] = [
        alias
        for c in rec.crossings
        for alias in alias_rows(c.id, name=c.name, counterpart=c.counterpart, aliases=c.aliases)
    ]
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
        docs.append(search_document(doc_type, doc_id, title, *words))

    for article in dataset.articles.values():
        for s in article.sentences:
            add("sentence", f"{article.file}#{s.index}", rec.sources[article.file].title, s.text)
    for c in rec.crossings:
        docs.append(record_search_document("crossing", c, c.aliases))
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


RecordKey = tuple[str, str]
CURATABLE = ("crossing", "restriction", "fortification")


class CuratedRows:
    """Which rows belong to a record the curators own (docs/decisions.md, "Seed and curators").

    A record's rows are the record, its aliases, traffic, countries, citations and search
    document; an event belongs to its subject as well as to itself, so a curated record's
    whole history is the curators'; a source's rows are its text and its sentences.
    """

    def __init__(self, curated: set[RecordKey], event_subjects: dict[str, set[RecordKey]]):
        self.curated = curated
        self.event_subjects = event_subjects

    def _event(self, event_id: str) -> list[RecordKey]:
        return [("event", event_id), *sorted(self.event_subjects.get(event_id, set()))]

    def owners(self, row: Any) -> list[RecordKey]:
        if isinstance(row, Source):
            return [("source", row.file)]
        if isinstance(row, Sentence):
            return [("source", row.source_file)]
        if isinstance(row, Crossing | Restriction | Fortification):
            return [(str(row.__tablename__), row.id)]
        if isinstance(row, CrossingAlias | CrossingTraffic):
            return [("crossing", row.crossing_id)]
        if isinstance(row, RestrictionCountry):
            return [("restriction", row.restriction_id)]
        if isinstance(row, FortificationCountry):
            return [("fortification", row.fortification_id)]
        if isinstance(row, Event):
            subject = self._of(row.subject_type or "", row.subject_id or "")
            return self._event(row.id) + subject
        if isinstance(row, EventCountry):
            return self._event(row.event_id)
        if isinstance(row, Citation):
            return self._of(row.record_type, row.record_id)
        if isinstance(row, SearchDocument):
            if row.doc_type == "sentence":
                return [("source", row.doc_id.rpartition("#")[0])]
            return self._of(row.doc_type, row.doc_id)
        return []

    def _of(self, record_type: str, record_id: str) -> list[RecordKey]:
        if record_type in CURATABLE:
            return [(record_type, record_id)]
        if record_type == "event":
            return self._event(record_id)
        return []

    def owner(self, row: Any) -> RecordKey | None:
        """The curated record this row belongs to, or None when the seed manages it."""
        if not self.curated:
            return None
        return next((key for key in self.owners(row) if key in self.curated), None)


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


def _curated_rows(session: Session, dataset: Dataset) -> CuratedRows:
    subjects: dict[str, set[RecordKey]] = {}
    for event_id, subject_type, subject_id in event_subjects(session):
        if subject_type and subject_id:
            subjects.setdefault(event_id, set()).add((subject_type, subject_id))
    for e in dataset.records.events:
        if e.subject:
            kind, _, target = e.subject.partition(":")
            subjects.setdefault(e.id, set()).add((kind, target))
    return CuratedRows(curated_records(session), subjects)


def _check_curated_sources(session: Session, dataset: Dataset, curated: CuratedRows) -> None:
    """A seed article may be a source a curator added, if it is the same text split alike."""
    problems: list[str] = []
    stored = {s.sha256: s.file for s in curated_sources(session)}
    for name, article in dataset.articles.items():
        other = stored.get(article.sha256)
        if other is not None and other != name:
            problems.append(f"source {name}: the same text is stored as curated source {other}")
        if ("source", name) not in curated.curated:
            continue
        if other != name:
            problems.append(f"source {name}: a curator stored another text under this name")
            continue
        spans = [(s.index, s.char_start, s.char_end, s.kind, s.text) for s in article.sentences]
        rows = sentences_of(session, file=name)
        if spans != [(r.sentence_index, r.char_start, r.char_end, r.kind, r.text) for r in rows]:
            problems.append(
                f"source {name}: a curator stored it with other sentences (its `chrome` list?)"
            )
    if problems:
        raise RecordsError(problems)


def _broken_curated_citations(
    session: Session, curated: CuratedRows, before: set[tuple[str, str, int]]
) -> list[str]:
    """Curated citations the seed removed (with their sentence) or moved off their quote."""
    problems: list[str] = []
    now = set()
    for citation, sentence, article in citations_with_sentences(session):
        if curated.owner(citation) is None:
            continue
        key = (citation.record_type, citation.record_id, citation.position)
        now.add(key)
        qs, qe = citation.quote_start, citation.quote_end
        if article[qs:qe] != citation.quote or not (
            sentence.char_start <= qs and qe <= sentence.char_end
        ):
            problems.append(
                f"curated {key[0]} {key[1]!r}: its quote {citation.quote!r} would no longer lie in"
                f" sentence {citation.source_file}#{citation.sentence_index}"
            )
    for record_type, record_id, position in sorted(before - now):
        problems.append(
            f"curated {record_type} {record_id!r}: citation {position} would lose its sentence"
        )
    return problems


def seed(engine: Engine, seed_dir: Path, *, track: Track = untracked) -> SeedReport:
    """Load seed_dir and bring the store in line with it, in one transaction.

    Records the curators own are left as they are (and named in the report); the seed is
    refused when it would break a curated record's citation.
    """
    dataset = load_dataset(seed_dir)
    with write_session(engine) as session:
        curated = _curated_rows(session, dataset)
        _check_curated_sources(session, dataset, curated)
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
        problems = _broken_curated_citations(session, curated, cited_before)
        if problems:
            raise RecordsError(problems)
        refreshed = refresh_derived(
            session, Changes(everything=True, rows_changed=report.total > 0)
        )
        report.documents, report.tallies = refreshed.documents, refreshed.tallies
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
