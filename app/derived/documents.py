"""Stored documents: each record as the API serves it, kept beside the record so a list can
send it unchanged."""

from collections.abc import Iterable

from sqlmodel import Session

from app.kinds import KINDS, ids_by_type
from app.presenters.records import present, render
from app.queries.records import batches, records


def refresh_documents(session: Session, records_of: Iterable[tuple[str, str]] | None = None) -> int:
    """Rebuild the stored documents of these (record type, id) records, or of every record,
    where they differ from their record; the number rewritten."""
    by_type = ids_by_type(records_of or ())
    changed = 0
    for kind in KINDS.values():
        if records_of is None:
            groups = batches(session, kind)
        else:
            groups = iter([records(session, kind, by_type.get(kind.name, []))])
        for rows in groups:
            for row, out in zip(rows, present(session, kind, rows), strict=True):
                doc = render(out)
                if row.doc != doc:
                    row.doc = doc
                    changed += 1
            session.flush()
    return changed
