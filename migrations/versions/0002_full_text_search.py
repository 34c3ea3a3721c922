"""full-text search over search_document.terms: FTS5 on SQLite, a GIN tsvector index on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        terms, content='search_document', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_fts_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms);
    END""",
    """CREATE TRIGGER search_fts_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
    END""",
    """CREATE TRIGGER search_fts_au AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
        INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms);
    END""",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_UP = [
    """CREATE INDEX ix_search_document_fts ON search_document
       USING gin (to_tsvector('english', terms))""",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_search_document_fts"]


def _statements(up: bool) -> list[str]:
    if op.get_bind().dialect.name == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return POSTGRES_UP if up else POSTGRES_DOWN


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
