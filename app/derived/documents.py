"""Stored documents: each record as the API serves it, kept beside the record so a list can
send it unchanged."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlmodel import Session

from app.kinds import KINDS, Kind, ids_by_type
from app.presenters.records import present, render
from app.queries.records import batches, records


def refresh_documents(
    session: Session,
    records_of: Iterable[tuple[str, str]] | None = None,
    built: Mapping[tuple[str, str], str] | None = None,
) -> int:
    """Rebuild the stored documents of these (record type, id) records, or of every record,
    where they differ from their record; the number rewritten. `built` holds documents the
    writer has rendered already, by (record type, id)."""
    built = built or {}
    by_type = ids_by_type(records_of or ())
    changed = 0
    for kind in KINDS.values():
        if records_of is None:
            groups = batches(session, kind)
        else:
            groups = iter([records(session, kind, by_type.get(kind.name, []))])
        for rows in groups:
            for row, doc in zip(rows, _documents(session, kind, rows, built), strict=True):
                if row.doc != doc:
                    row.doc = doc
                    changed += 1
            session.flush()
    return changed


def _documents(
    session: Session, kind: Kind, rows: Sequence[Any], built: Mapping[tuple[str, str], str]
) -> list[str]:
    """The documents of `rows`, rendering those not `built` already."""
    missing = [row for row in rows if (kind.name, row.id) not in built]
    outs = present(session, kind, missing)
    rendered = {row.id: render(out) for row, out in zip(missing, outs, strict=True)}
    return [built.get((kind.name, row.id)) or rendered[row.id] for row in rows]
