"""Full-text search over the search documents (`app.derived.search`)."""

from typing import Any

from anyascii import anyascii
from sqlalchemy import text
from sqlmodel import Session

# A record named by exactly the words asked for first, then the other records, then facts and
# events, then sentences: a search for a place finds the place before what mentions it.
TIER = (
    "CASE WHEN d.doc_type <> 'sentence' AND lower(d.title) = :title THEN 0 "
    "WHEN d.doc_type = 'sentence' THEN 3 WHEN d.doc_type IN ('fact', 'event') THEN 2 "
    "ELSE 1 END"
)


def search(session: Session, *, terms: list[str], limit: int, offset: int) -> tuple[list[Any], int]:
    """Full-text search of `search_document.terms`: FTS5 on SQLite, tsvector on PostgreSQL.

    Every word must match; best matches first. `terms` is ASCII-folded, so the words are
    folded the same way. Each row also carries what its URL needs: an event's date, and a
    fact's subject and whether it is disputed (the subject's event date for a fact about an
    event).
    """
    source, where, _order, params = _search_sql(session, terms)
    total = session.execute(
        text(f"SELECT count(*) FROM {source} WHERE {where}"), params
    ).scalar_one()
    return search_hits(session, terms=terms, limit=limit, offset=offset), int(total)


def search_hits(session: Session, *, terms: list[str], limit: int, offset: int) -> list[Any]:
    """The hits of `search` from `offset` on, without their total."""
    source, where, order, params = _search_sql(session, terms)
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
    return list(rows)


def _search_sql(session: Session, terms: list[str]) -> tuple[str, str, str, dict[str, Any]]:
    """FROM, WHERE and ORDER BY of a search on this session's backend, and their values."""
    words = [anyascii(t) for t in terms]
    if session.get_bind().dialect.name == "sqlite":
        source = "search_fts JOIN search_document d ON d.id = search_fts.rowid"
        where = "search_fts MATCH :match"
        order = f"ORDER BY {TIER}, bm25(search_fts), d.id"
        params: dict[str, Any] = {
            "match": " ".join('"' + w.replace('"', '""') + '"' for w in words)
        }
    else:
        source = "search_document d"
        where = "to_tsvector('english', d.terms) @@ plainto_tsquery('english', :match)"
        order = (
            f"ORDER BY {TIER}, ts_rank(to_tsvector('english', d.terms), "
            "plainto_tsquery('english', :match)) DESC, d.id"
        )
        params = {"match": " ".join(words)}
    return source, where, order, {**params, "title": " ".join(terms).lower()}
