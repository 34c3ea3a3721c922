"""Status periods: the spans of dates over which a record is listed with one status, which a
list `as_of` a date filters by (`app.dated.listed_periods`)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, exists, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from app.dated import listed_periods
from app.history import PERIOD_STATE
from app.kinds import KINDS, ids_by_type
from app.models import StatusPeriod
from app.queries.records import batches, records


def refresh_periods(session: Session, records_of: Iterable[tuple[str, str]] | None = None) -> int:
    """Bring the status periods of these (record type, id) records, or of every record, in
    line with their histories; the rows written or deleted."""
    changed = 0
    by_type = ids_by_type(records_of or ())
    for kind in KINDS.values():
        if kind.status is None:
            continue
        if records_of is not None:
            # A write's few records: their stored periods are looked up by primary key.
            ids = by_type.get(kind.name, [])
            if ids:
                changed += _sync_periods(session, kind.name, records(session, kind, ids))
            continue
        of_type = col(StatusPeriod.record_type) == kind.name
        # Nothing stored yet (a new store, or the migration that adds them): nothing to
        # compare with, and no lookups in a table that grows as this runs, which PostgreSQL,
        # with no statistics for it yet, answered by scanning it whole for each batch.
        stored = bool(session.execute(sa_select(exists().where(of_type))).scalar())
        # Periods of records that are gone (the seeder removes what its file no longer has).
        gone = session.execute(
            delete(StatusPeriod).where(
                of_type, ~exists().where(col(kind.model.id) == col(StatusPeriod.record_id))
            )
        )
        changed += gone.rowcount  # type: ignore[attr-defined]
        for rows in batches(session, kind):
            changed += _sync_periods(session, kind.name, rows, compare=stored)
    session.flush()
    return changed


def _sync_periods(
    session: Session, record_type: str, rows: Sequence[Any], *, compare: bool = True
) -> int:
    """Rewrite the periods of those of `rows` whose stored periods differ, or with `compare`
    false (none are stored) write them all (Core statements: a full rebuild writes about 11
    rows a record)."""
    if not rows:
        return 0
    wanted = listed_periods(session, rows)
    stored: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    period = StatusPeriod.__table__  # type: ignore[attr-defined]
    if compare:
        for record_id, *span in session.execute(
            sa_select(
                period.c.record_id,
                period.c.valid_from,
                period.c.valid_until,
                *(period.c[name] for name in PERIOD_STATE),
            )
            .where(
                period.c.record_type == record_type,
                period.c.record_id.in_([row.id for row in rows]),
            )
            .order_by(period.c.record_id, period.c.valid_from)
        ):
            stored[record_id].append(tuple(span))
    stale = [row.id for row in rows if stored.get(row.id, []) != wanted.get(row.id, [])]
    if not stale:
        return 0
    replaced = [record_id for record_id in stale if record_id in stored]
    if replaced:
        session.execute(
            delete(period).where(
                period.c.record_type == record_type, period.c.record_id.in_(replaced)
            )
        )
    new = [
        {
            "record_type": record_type,
            "record_id": record_id,
            "valid_from": begin,
            "valid_until": end,
            **dict(zip(PERIOD_STATE, state, strict=True)),
        }
        for record_id in stale
        for begin, end, *state in wanted.get(record_id, [])
    ]
    if new:
        session.execute(insert(period), new)
    return sum(len(stored.get(i, [])) for i in stale) + len(new)
