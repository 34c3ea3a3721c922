"""A kind's records by id, and the values each lists from its link tables."""

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.history import PERIOD_STATE, StatusOnDate
from app.kinds import Kind, Listed
from app.models import StatusPeriod


def record(session: Session, kind: Kind, record_id: str) -> Any | None:
    """The record of this kind with this id, if any; ids are read in any case (they are
    stored in lower case)."""
    return session.get(kind.model, record_id) or session.get(kind.model, record_id.lower())


def nearest_ids(session: Session, model: Any, key: str, *, n: int = 3) -> list[str]:
    """Up to `n` stored ids most like `key` (for a 404's suggestions): among those that begin
    as it does, so a store of any size answers from its primary-key index."""
    key = key.strip().lower()
    ids: list[str] = []
    for length in (3, 1):
        if len(key) >= length and not ids:
            starts = col(model.id).startswith(key[:length], autoescape=True)
            ids = list(session.exec(select(model.id).where(starts).order_by(model.id).limit(500)))
    return difflib.get_close_matches(key, ids, n=n, cutoff=0.5)


def records(session: Session, kind: Kind, ids: Sequence[str]) -> list[Any]:
    """The records of this kind with these ids, in id order."""
    if not ids:
        return []
    model = kind.model
    return list(session.exec(select(model).where(col(model.id).in_(ids)).order_by(col(model.id))))


def load_listed(session: Session, listed: Listed, ids: Sequence[str]) -> dict[str, list[str]]:
    """What each record lists from a link table (aliases, traffic, countries), in order."""
    result: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return result
    key, value = col(listed.key_column), col(listed.value_column)
    query = select(key, value).where(key.in_(ids))
    if listed.only is not None:
        column, wanted = listed.only
        query = query.where(col(getattr(listed.model, column)) == wanted)
    for record_id, found in session.exec(query.order_by(key, value)):
        result[record_id].append(found)
    return result


def load_lists(session: Session, kind: Kind, ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """Every list a kind's records serve from link tables, by field name, then record id."""
    return {listed.name: load_listed(session, listed, ids) for listed in kind.listed}


def batches(session: Session, kind: Kind, size: int = 1000) -> Iterator[list[Any]]:
    """Every record of a kind, in id order, `size` at a time."""
    model = kind.model
    after = ""
    while rows := list(
        session.exec(select(model).where(col(model.id) > after).order_by(col(model.id)).limit(size))
    ):
        yield rows
        after = rows[-1].id


def stored_statuses(
    session: Session, kind: Kind, ids: Sequence[str], on: dt.date
) -> dict[str, StatusOnDate]:
    """Each record's status on `on` as its status periods keep it (what
    `app.dated.statuses_at` gives, read off their index); none for a record not listed then."""
    if not ids:
        return {}
    period = StatusPeriod
    query = select(col(period.record_id), *(col(getattr(period, name)) for name in PERIOD_STATE))
    query = query.where(
        col(period.record_type) == kind.name,
        col(period.record_id).in_(ids),
        col(period.valid_from) <= on,
        col(period.valid_until) > on,
    )
    return {record_id: StatusOnDate(*state) for record_id, *state in session.execute(query)}
