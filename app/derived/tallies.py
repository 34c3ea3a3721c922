"""Tallies: a kind's records counted per group, behind list totals (`app.kinds.Tally`).

A crossing counts in its (country, status) group, per neighbour and once per traffic mode
too; a restriction in its (kind, status) group, once per country too. Each group is read off
the index that leads with its columns: `(country, status, id)` for crossings.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.kinds import KINDS, Kind, Tally, ids_by_type

# (record type, the values of its group's columns): see `app.kinds.Tally`.
TallyGroup = tuple[str, tuple[str, ...]]
# Any constant that is ours alone: the key of PostgreSQL's advisory lock on recounting tallies.
TALLY_LOCK_KEY = 0x74616C6C


def _in_groups(columns: Sequence[Any], groups: Iterable[tuple[str, ...]]) -> ColumnElement[bool]:
    """Rows whose `columns` hold the values of one of `groups`."""
    return or_(*(and_(*(c == v for c, v in zip(columns, g, strict=True))) for g in groups))


def _count(
    session: Session, kind: Kind, tally: Tally, where: Sequence[ColumnElement[bool]]
) -> dict[tuple[str, ...], int]:
    """The tally's rows as they should be: (its key's values) -> records, for the records
    matching `where`; the link column is '' in the count of every record once."""
    record_columns = [k for k in tally.keys if k != tally.link_column]
    grouped = [col(getattr(kind.model, k)) for k in record_columns]
    link = tally.link
    counted: dict[tuple[str, ...], int] = {}

    def key(values: Sequence[Any], link_value: str) -> tuple[str, ...]:
        found = dict(zip(record_columns, values, strict=True)) | {tally.link_column: link_value}
        return tuple(found[k] for k in tally.keys)

    for *values, n in session.execute(
        sa_select(*grouped, func.count()).where(*where).group_by(*grouped)
    ):
        counted[key(values, "")] = n
    by_value = (*grouped, col(link.value_column))
    for *values, link_value, n in session.execute(
        sa_select(*by_value, func.count())
        .join(link.model, col(link.key_column) == col(kind.model.id))
        .where(*where)
        .group_by(*by_value)
    ):
        counted[key(values, link_value)] = n
    return counted


def _tallied() -> list[tuple[Kind, Tally]]:
    return [(kind, kind.tally) for kind in KINDS.values() if kind.tally is not None]


def refresh_tallies(session: Session, groups: Iterable[TallyGroup] | None = None) -> int:
    """Bring the tally tables in line with the records they count, in `groups` or else
    everywhere; the rows changed.

    One grouped count per table, over the groups' records only (a write's, through the
    indexes that lead with their columns). On PostgreSQL the recounts of concurrent writes
    take turns until each commits: a count that ran beside another write's uncommitted change
    would be stored over the count that includes it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TALLY_LOCK_KEY})
    wanted_groups: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for record_type, group in groups or ():
        wanted_groups[record_type].add(group)
    changed = 0
    for kind, tally in _tallied():
        existing = select(tally.model)
        if groups is None:
            wanted = _count(session, kind, tally, [])
        else:
            within = wanted_groups.get(kind.name)
            if not within:
                continue
            wanted = _count(
                session, kind, tally, [_in_groups(_group_of(kind.model, tally), within)]
            )
            existing = existing.where(_in_groups(_group_of(tally.model, tally), within))
        for row in session.exec(existing).all():
            n = wanted.pop(tuple(getattr(row, k) for k in tally.keys), None)
            if n is None:
                session.delete(row)
            elif row.n != n:
                row.n = n
            else:
                continue
            changed += 1
        for found, n in wanted.items():
            session.add(tally.model(**dict(zip(tally.keys, found, strict=True)), n=n))
            changed += 1
    session.flush()
    return changed


def _group_of(model: Any, tally: Tally) -> list[Any]:
    """`model`'s columns of a tally group (a record's, or the tally rows' of the same name)."""
    return [getattr(model, name) for name in tally.group]


def tally_groups(session: Session, records: Iterable[tuple[str, str]]) -> frozenset[TallyGroup]:
    """The tally groups these (record type, id) records count in now."""
    by_type = ids_by_type(records)
    found: set[TallyGroup] = set()
    for kind, tally in _tallied():
        ids = by_type.get(kind.name)
        if not ids:
            continue
        columns = _group_of(kind.model, tally)
        for values in session.execute(sa_select(*columns).where(col(kind.model.id).in_(ids))):
            found.add((kind.name, tuple(values)))
    return frozenset(found)
