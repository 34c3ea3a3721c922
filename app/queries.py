"""Every query the API makes. Functions take (session, *, ...) and return models or rows.

List functions return one page plus the total; `load_*` functions fetch what a page of
records needs (citations, aliases, countries) in one query per kind, never one per record.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from anyascii import anyascii
from sqlalchemy import ColumnElement, Select, and_, func, or_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from app.models import (
    AuditEntry,
    Border,
    Citation,
    Claim,
    Country,
    Crossing,
    CrossingAlias,
    CrossingTraffic,
    CuratedRecord,
    Event,
    EventCountry,
    Fact,
    Fortification,
    FortificationCountry,
    RecordRevision,
    Restriction,
    RestrictionCountry,
    Sentence,
    Source,
)

M = TypeVar("M", bound=SQLModel)


def data_version(engine: Engine) -> int | None:
    """The data version every write bumps (None before the migrations have run)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM data_version WHERE id = 1")).scalar()


def country_roles(session: Session) -> dict[str, str]:
    """Each country code and its role (nato | neighbour | other), in code order."""
    rows = session.exec(select(Country.code, Country.role).order_by(col(Country.code)))
    return dict(rows.all())


def countries(session: Session) -> Sequence[Country]:
    return session.exec(select(Country).order_by(col(Country.code))).all()


def country(session: Session, *, code: str) -> Country | None:
    return session.get(Country, code)


def _page(
    session: Session,
    model: type[M],
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
) -> tuple[list[M], int]:
    key = col(model.id)  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    query = select(model).where(*conditions)
    if after is not None:
        query = query.where(key > after)
    rows = list(session.exec(query.order_by(key).limit(limit)))
    return rows, total


def documents_query(
    model: Any, conditions: list[ColumnElement[bool]], *, after: str | None, limit: int
) -> Select[Any]:
    """The page query of a document-backed list: (id, stored document) in id order."""
    key = col(model.id)
    query = select(key, model.doc).where(*conditions)
    if after is not None:
        query = query.where(key > after)
    return query.order_by(key).limit(limit)


def documents_page(
    session: Session,
    model: Any,
    conditions: list[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
) -> tuple[list[tuple[str, str | None]], int]:
    """Up to `limit` (id, stored document) rows in id order, and the total that match.

    The count is skipped when a first page came back short: then it holds them all.
    """
    # Core, not the ORM: these are plain columns, and this is the hottest query there is.
    connection = session.connection()
    query = documents_query(model, conditions, after=after, limit=limit)
    rows: list[tuple[str, str | None]] = [(r[0], r[1]) for r in connection.execute(query)]
    if after is None and len(rows) < limit:
        return rows, len(rows)
    total = connection.execute(select(func.count()).select_from(model).where(*conditions))
    return rows, int(total.scalar_one())


# --- crossings ---------------------------------------------------------------------------


def crossing_conditions(
    *,
    country: str | None = None,
    country_is_neighbour: bool = False,
    neighbour: str | None = None,
    status: str | None = None,
    traffic: str | None = None,
    q_key: str | None = None,
) -> list[ColumnElement[bool]]:
    """Filters on crossings; `country` matches either side of the border.

    A crossing's sides are a NATO country and a neighbour, so the side a code can be on is
    known from its role: one indexed column, not an OR of two.
    """
    conditions: list[ColumnElement[bool]] = []
    if country:
        side = Crossing.neighbour if country_is_neighbour else Crossing.country
        conditions.append(col(side) == country)
    if neighbour:
        conditions.append(col(Crossing.neighbour) == neighbour)
    if status:
        conditions.append(col(Crossing.status) == status)
    if traffic:
        conditions.append(
            col(Crossing.id).in_(
                select(CrossingTraffic.crossing_id).where(CrossingTraffic.mode == traffic)
            )
        )
    if q_key:
        conditions.append(
            col(Crossing.id).in_(
                select(CrossingAlias.crossing_id).where(
                    col(CrossingAlias.alias_key).contains(q_key, autoescape=True)
                )
            )
        )
    return conditions


def crossings_page(
    session: Session, *, conditions: list[ColumnElement[bool]], after: str | None, limit: int
) -> tuple[list[Crossing], int]:
    return _page(session, Crossing, conditions, after=after, limit=limit)


def crossings_all(session: Session, *, conditions: list[ColumnElement[bool]]) -> list[Crossing]:
    return list(session.exec(select(Crossing).where(*conditions).order_by(col(Crossing.id))))


def crossing(session: Session, *, crossing_id: str) -> Crossing | None:
    return session.get(Crossing, crossing_id)


def crossings_of_borders(session: Session, *, border_ids: Iterable[str]) -> list[Crossing]:
    ids = list(border_ids)
    return list(
        session.exec(
            select(Crossing).where(col(Crossing.border_id).in_(ids)).order_by(col(Crossing.id))
        )
    )


def load_aliases(session: Session, *, crossing_ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(CrossingAlias.crossing_id, CrossingAlias.alias)
        .where(col(CrossingAlias.crossing_id).in_(crossing_ids), CrossingAlias.kind == "alias")
        .order_by(col(CrossingAlias.crossing_id), col(CrossingAlias.alias))
    )
    for crossing_id, alias in rows:
        result[crossing_id].append(alias)
    return result


def load_traffic(session: Session, *, crossing_ids: Sequence[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(CrossingTraffic.crossing_id, CrossingTraffic.mode)
        .where(col(CrossingTraffic.crossing_id).in_(crossing_ids))
        .order_by(col(CrossingTraffic.crossing_id), col(CrossingTraffic.mode))
    )
    for crossing_id, mode in rows:
        result[crossing_id].append(mode)
    return result


def crossing_counts(session: Session, *, border_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Crossings per status for each border."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    rows = session.exec(
        select(Crossing.border_id, Crossing.status, func.count())
        .where(col(Crossing.border_id).in_(border_ids))
        .group_by(Crossing.border_id, Crossing.status)
    )
    for border_id, status, count in rows:
        result[border_id][status] = count
    return result


# --- provenance and events ------------------------------------------------------------------


def load_provenance(
    session: Session, *, record_type: str, record_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each record's citations with their sentences, in the records file's order."""
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not record_ids:
        return result
    rows = session.exec(
        select(Citation, Sentence, Source.published)
        .join(
            Sentence,
            and_(
                col(Sentence.source_file) == col(Citation.source_file),
                col(Sentence.sentence_index) == col(Citation.sentence_index),
            ),
        )
        .join(Source, col(Source.file) == col(Citation.source_file))
        .where(Citation.record_type == record_type, col(Citation.record_id).in_(record_ids))
        .order_by(col(Citation.record_id), col(Citation.position))
    )
    for citation, sentence, published in rows:
        result[citation.record_id].append(
            {
                "source_file": citation.source_file,
                "sentence_index": citation.sentence_index,
                "sentence": sentence.text,
                "char_start": sentence.char_start,
                "char_end": sentence.char_end,
                "quote": citation.quote,
                "quote_start": citation.quote_start,
                "quote_end": citation.quote_end,
                "published": published,
            }
        )
    return result


def subject_events(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Event]]:
    """Events about each subject, oldest first."""
    result: dict[str, list[Event]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.exec(
        select(Event)
        .where(Event.subject_type == subject_type, col(Event.subject_id).in_(subject_ids))
        .order_by(col(Event.date_start), col(Event.id))
    )
    for event in rows:
        assert event.subject_id is not None
        result[event.subject_id].append(event)
    return result


def event_conditions(
    *,
    country: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if country:
        conditions.append(
            col(Event.id).in_(select(EventCountry.event_id).where(EventCountry.country == country))
        )
    if date_from:
        conditions.append(col(Event.date_start) >= date_from)
    if date_to:
        conditions.append(col(Event.date_start) <= date_to)
    if kind:
        conditions.append(col(Event.kind) == kind)
    return conditions


def events_page(
    session: Session, *, conditions: list[ColumnElement[bool]], after: str | None, limit: int
) -> tuple[list[Event], int]:
    """Events in date order; the cursor is '<date_start>|<id>'."""
    total = session.exec(select(func.count()).select_from(Event).where(*conditions)).one()
    query = select(Event).where(*conditions)
    if after is not None:
        after_date, _, after_id = after.partition("|")
        query = query.where(
            or_(
                col(Event.date_start) > dt.date.fromisoformat(after_date),
                and_(
                    col(Event.date_start) == dt.date.fromisoformat(after_date),
                    col(Event.id) > after_id,
                ),
            )
        )
    rows = list(session.exec(query.order_by(col(Event.date_start), col(Event.id)).limit(limit)))
    return rows, total


def events_of_countries(session: Session, *, codes: Sequence[str]) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .where(
                col(Event.id).in_(
                    select(EventCountry.event_id).where(col(EventCountry.country).in_(codes))
                )
            )
            .order_by(col(Event.date_start), col(Event.id))
        )
    )


def load_countries(
    session: Session, *, link: type[SQLModel], key: str, ids: Sequence[str]
) -> dict[str, list[str]]:
    """Countries of each record through a link table (restriction, fortification, event)."""
    result: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return result
    key_col = getattr(link, key)
    rows = session.exec(
        select(key_col, link.country)  # type: ignore[attr-defined]
        .where(key_col.in_(ids))
        .order_by(key_col, link.country)  # type: ignore[attr-defined]
    )
    for record_id, code in rows:
        result[record_id].append(code)
    return result


# --- restrictions and fortifications --------------------------------------------------------


def restriction_conditions(
    *, country: str | None, kind: str | None, status: str | None, q: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if country:
        conditions.append(
            col(Restriction.id).in_(
                select(RestrictionCountry.restriction_id).where(
                    RestrictionCountry.country == country
                )
            )
        )
    if kind:
        conditions.append(col(Restriction.kind) == kind)
    if status:
        conditions.append(col(Restriction.status) == status)
    if q:
        conditions.append(func.lower(Restriction.summary).contains(q.lower(), autoescape=True))
    return conditions


def restrictions_page(
    session: Session, *, conditions: list[ColumnElement[bool]], after: str | None, limit: int
) -> tuple[list[Restriction], int]:
    return _page(session, Restriction, conditions, after=after, limit=limit)


def restrictions_all(
    session: Session, *, conditions: list[ColumnElement[bool]]
) -> list[Restriction]:
    return list(session.exec(select(Restriction).where(*conditions).order_by(col(Restriction.id))))


def restriction(session: Session, *, restriction_id: str) -> Restriction | None:
    return session.get(Restriction, restriction_id)


def fortification_conditions(
    *,
    country: str | None,
    kind: str | None,
    status: str | None,
    q: str | None,
    country_is_neighbour: bool = False,
) -> list[ColumnElement[bool]]:
    """Filters on fortifications; `country` is the builder, or the neighbour it faces."""
    conditions: list[ColumnElement[bool]] = []
    if country and country_is_neighbour:
        conditions.append(col(Fortification.neighbour) == country)
    elif country:
        conditions.append(
            col(Fortification.id).in_(
                select(FortificationCountry.fortification_id).where(
                    FortificationCountry.country == country
                )
            )
        )
    if kind:
        conditions.append(col(Fortification.kind) == kind)
    if status:
        conditions.append(col(Fortification.status) == status)
    if q:
        conditions.append(func.lower(Fortification.summary).contains(q.lower(), autoescape=True))
    return conditions


def fortifications_page(
    session: Session, *, conditions: list[ColumnElement[bool]], after: str | None, limit: int
) -> tuple[list[Fortification], int]:
    return _page(session, Fortification, conditions, after=after, limit=limit)


def fortification(session: Session, *, fortification_id: str) -> Fortification | None:
    return session.get(Fortification, fortification_id)


# --- borders, facts, conflicts --------------------------------------------------------------


def borders(session: Session, *, country: str | None = None) -> list[Border]:
    query = select(Border)
    if country:
        query = query.where(or_(col(Border.country) == country, col(Border.neighbour) == country))
    return list(session.exec(query.order_by(col(Border.id))))


def border(session: Session, *, border_id: str) -> Border | None:
    return session.get(Border, border_id)


def facts_of(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Fact]]:
    result: dict[str, list[Fact]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.exec(
        select(Fact)
        .where(Fact.subject_type == subject_type, col(Fact.subject_id).in_(subject_ids))
        .order_by(col(Fact.id))
    )
    for fact in rows:
        result[fact.subject_id].append(fact)
    return result


def disputed_facts_page(
    session: Session, *, after: str | None, limit: int
) -> tuple[list[Fact], int]:
    return _page(session, Fact, [col(Fact.disputed).is_(True)], after=after, limit=limit)


def load_claims(session: Session, *, fact_ids: Sequence[str]) -> dict[str, list[Claim]]:
    result: dict[str, list[Claim]] = defaultdict(list)
    if not fact_ids:
        return result
    rows = session.exec(
        select(Claim)
        .where(col(Claim.fact_id).in_(fact_ids))
        .order_by(col(Claim.fact_id), col(Claim.position))
    )
    for claim in rows:
        result[claim.fact_id].append(claim)
    return result


# --- sources and sentences ------------------------------------------------------------------


def sources(session: Session) -> list[tuple[Source, int]]:
    counts = (
        select(Sentence.source_file, func.count().label("n"))
        .group_by(Sentence.source_file)
        .subquery()
    )
    rows = session.exec(
        select(Source, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.source_file == Source.file)
        .order_by(col(Source.file))
    )
    return [(source, int(n)) for source, n in rows]


def source(session: Session, *, file: str) -> Source | None:
    return session.get(Source, file)


def sentences_of(session: Session, *, file: str) -> list[Sentence]:
    return list(
        session.exec(
            select(Sentence)
            .where(Sentence.source_file == file)
            .order_by(col(Sentence.sentence_index))
        )
    )


def sentence(session: Session, *, file: str, index: int) -> Sentence | None:
    return session.get(Sentence, (file, index))


def citations_of_sentences(
    session: Session, *, file: str, indices: Sequence[int] | None = None
) -> dict[int, list[Citation]]:
    result: dict[int, list[Citation]] = defaultdict(list)
    query = select(Citation).where(Citation.source_file == file)
    if indices is not None:
        query = query.where(col(Citation.sentence_index).in_(indices))
    for citation in session.exec(
        query.order_by(
            col(Citation.sentence_index), col(Citation.record_type), col(Citation.record_id)
        )
    ):
        result[citation.sentence_index].append(citation)
    return result


# --- search ---------------------------------------------------------------------------------


def search(session: Session, *, terms: list[str], limit: int, offset: int) -> tuple[list[Any], int]:
    """Full-text search of `search_document.terms`: FTS5 on SQLite, tsvector on PostgreSQL.

    Every word must match; best matches first. `terms` is ASCII-folded, so the words are
    folded the same way. Each row also carries what its URL needs: an event's date, and a
    fact's subject and whether it is disputed (the subject's event date for a fact about an
    event).
    """
    words = [anyascii(t) for t in terms]
    if session.get_bind().dialect.name == "sqlite":
        source = "search_fts JOIN search_document d ON d.id = search_fts.rowid"
        where = "search_fts MATCH :match"
        order = "ORDER BY bm25(search_fts), d.id"
        params: dict[str, Any] = {
            "match": " ".join('"' + w.replace('"', '""') + '"' for w in words)
        }
    else:
        source = "search_document d"
        where = "to_tsvector('english', d.terms) @@ plainto_tsquery('english', :match)"
        order = (
            "ORDER BY ts_rank(to_tsvector('english', d.terms), "
            "plainto_tsquery('english', :match)) DESC, d.id"
        )
        params = {"match": " ".join(words)}
    total = session.execute(
        text(f"SELECT count(*) FROM {source} WHERE {where}"), params
    ).scalar_one()
    rows = session.execute(
        text(
            "SELECT d.doc_type, d.doc_id, d.title, d.body, "
            "f.subject_type, f.subject_id, f.disputed, e.date AS event_date "
            f"FROM {source} "
            "LEFT JOIN fact f ON d.doc_type = 'fact' AND f.id = d.doc_id "
            "LEFT JOIN event e ON e.id = CASE WHEN d.doc_type = 'event' THEN d.doc_id "
            "WHEN f.subject_type = 'event' THEN f.subject_id END "
            f"WHERE {where} {order} LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    return list(rows), int(total)


# --- curation -------------------------------------------------------------------------------


def curated_records(session: Session) -> set[tuple[str, str]]:
    """(type, id) of every record the curators own."""
    rows = session.exec(select(CuratedRecord.record_type, CuratedRecord.record_id))
    return {(record_type, record_id) for record_type, record_id in rows}


def curated_sources(session: Session) -> list[Source]:
    return list(
        session.exec(
            select(Source)
            .join(
                CuratedRecord,
                and_(
                    col(CuratedRecord.record_type) == "source",
                    col(CuratedRecord.record_id) == col(Source.file),
                ),
            )
            .order_by(col(Source.file))
        )
    )


def event_subjects(session: Session) -> list[tuple[str, str | None, str | None]]:
    """(id, subject type, subject id) of every event."""
    rows = session.exec(select(Event.id, Event.subject_type, Event.subject_id))
    return [(event_id, subject_type, subject_id) for event_id, subject_type, subject_id in rows]


def citations_with_sentences(session: Session) -> list[tuple[Citation, Sentence, str]]:
    """Every citation with its sentence and the text of its article."""
    rows = session.exec(
        select(Citation, Sentence, Source.text)
        .join(
            Sentence,
            and_(
                col(Sentence.source_file) == col(Citation.source_file),
                col(Sentence.sentence_index) == col(Citation.sentence_index),
            ),
        )
        .join(Source, col(Source.file) == col(Citation.source_file))
    )
    return [(citation, sentence, article) for citation, sentence, article in rows]


def revisions_of(session: Session, *, record_type: str, record_id: str) -> list[RecordRevision]:
    """A record's earlier states, oldest first."""
    return list(
        session.exec(
            select(RecordRevision)
            .where(RecordRevision.record_type == record_type, RecordRevision.record_id == record_id)
            .order_by(col(RecordRevision.revision))
        )
    )


def audit_page(
    session: Session,
    *,
    record_type: str | None,
    record_id: str | None,
    before: int | None,
    limit: int,
) -> tuple[list[AuditEntry], int]:
    """Audit entries newest first, optionally of one record; `before` is the last id seen."""
    conditions: list[ColumnElement[bool]] = []
    if record_type is not None:
        conditions.append(col(AuditEntry.record_type) == record_type)
    if record_id is not None:
        conditions.append(col(AuditEntry.record_id) == record_id)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*conditions)).one()
    query = select(AuditEntry).where(*conditions)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    rows = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)))
    return rows, int(total)
