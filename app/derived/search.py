"""The search index: the searchable text of records, events and sentences (full-text indexed
by triggers on SQLite and an expression index on PostgreSQL)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from anyascii import anyascii
from sqlmodel import Session, col, select

from app.kinds import CROSSING, KINDS, ids_by_type
from app.models import Event, SearchDocument, Source
from app.queries.records import load_listed, records
from app.queries.sources import sentences_of


def search_document(doc_type: str, doc_id: str, title: str, *words: str | None) -> SearchDocument:
    """One searchable text; `terms`, what the index reads, is the words folded to ASCII."""
    body = " ".join(w for w in words if w)
    return SearchDocument(
        doc_type=doc_type, doc_id=doc_id, title=title, body=body, terms=anyascii(body)
    )


def record_search_document(record_type: str, record: Any, aliases: Iterable[str]) -> SearchDocument:
    """A record's words (from a seed-file record or a row): a crossing's names, every alias
    and its notes; another record's summary."""
    if record_type != CROSSING.name:
        return search_document(record_type, record.id, record.summary, record.summary)
    return search_document(
        record_type,
        record.id,
        record.name,
        record.name,
        record.counterpart,
        " ".join(aliases),
        record.notes,
    )


def search_documents_of(
    session: Session,
    *,
    records_of: Iterable[tuple[str, str]],
    events: Iterable[str],
    sources: Iterable[str],
) -> list[SearchDocument]:
    """The search documents of these records, events and articles, as they are now."""
    by_type = ids_by_type(records_of)
    docs: list[SearchDocument] = []
    aliases = CROSSING.listing("aliases")
    for kind in KINDS.values():
        rows = records(session, kind, by_type.get(kind.name, []))
        names = load_listed(session, aliases, [r.id for r in rows]) if kind is CROSSING else {}
        docs += [record_search_document(kind.name, r, names.get(r.id, [])) for r in rows]
    event_rows = session.exec(select(Event).where(col(Event.id).in_(sorted(events))))
    for event in sorted(event_rows, key=lambda e: e.id):
        docs.append(search_document("event", event.id, event.summary, event.summary))
    for file in sorted(sources):
        source = session.get(Source, file)
        if source is None:
            continue
        for s in sentences_of(session, file=file):
            docs.append(
                search_document("sentence", f"{file}#{s.sentence_index}", source.title, s.text)
            )
    return docs


def upsert_search_documents(session: Session, docs: Sequence[SearchDocument]) -> None:
    """Insert or update search documents by (type, id); the full-text index follows."""
    wanted: dict[str, list[SearchDocument]] = defaultdict(list)
    for doc in docs:
        wanted[doc.doc_type].append(doc)
    for doc_type, group in wanted.items():
        stored = {
            d.doc_id: d
            for d in session.exec(
                select(SearchDocument).where(
                    SearchDocument.doc_type == doc_type,
                    col(SearchDocument.doc_id).in_([d.doc_id for d in group]),
                )
            )
        }
        for doc in group:
            current = stored.get(doc.doc_id)
            if current is None:
                session.add(doc)
            elif (current.title, current.body) != (doc.title, doc.body):
                current.title, current.body, current.terms = doc.title, doc.body, doc.terms
    session.flush()
