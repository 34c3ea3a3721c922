"""The records the curators own: which rows are theirs, and what a seed may not break of them."""

from typing import Any

from sqlmodel import Session

from app.changes import SUPERSEDED
from app.kinds import BY_MODEL, KINDS, Kind, Listed
from app.models import Citation, Event, EventCountry, SearchDocument, Sentence, Source
from app.queries.provenance import citations_with_sentences
from app.queries.sources import sentences_of
from app.queries.store import curated_records, curated_sources, event_subjects
from app.seed.dataset import Dataset, RecordsError

RecordKey = tuple[str, str]
CURATABLE = tuple(KINDS)
# The link tables of each kind's listed values: a row of one belongs to its record.
LISTED: dict[Any, tuple[Kind, Listed]] = {
    listed.model: (kind, listed) for kind in KINDS.values() for listed in kind.listed
}


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
        if (kind := BY_MODEL.get(type(row))) is not None:
            return [(kind.name, row.id)]
        if (listing := LISTED.get(type(row))) is not None:
            kind, listed = listing
            return [(kind.name, getattr(row, listed.key))]
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
        if record_type in ("event", SUPERSEDED):
            return self._event(record_id)
        return []

    def owner(self, row: Any) -> RecordKey | None:
        """The curated record this row belongs to, or None when the seed manages it."""
        if not self.curated:
            return None
        return next((key for key in self.owners(row) if key in self.curated), None)


def load_curated(session: Session, dataset: Dataset) -> CuratedRows:
    """Which records the curators own, and the subjects of every event, stored or seeded."""
    subjects: dict[str, set[RecordKey]] = {}
    for event_id, subject_type, subject_id in event_subjects(session):
        if subject_type and subject_id:
            subjects.setdefault(event_id, set()).add((subject_type, subject_id))
    for e in dataset.records.events:
        if e.subject:
            kind, _, target = e.subject.partition(":")
            subjects.setdefault(e.id, set()).add((kind, target))
    return CuratedRows(curated_records(session), subjects)


def check_curated_sources(session: Session, dataset: Dataset, curated: CuratedRows) -> None:
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


def broken_curated_citations(
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
