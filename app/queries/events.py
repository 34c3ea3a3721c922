"""The dated events: the timeline, and each record's history."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    or_,
    union,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.changes import SUPERSEDED, FieldChanges, field_changes
from app.models import (
    Citation,
    Event,
    EventCountry,
    Source,
)

S = TypeVar("S", bound=SelectOfScalar[Any])


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


# The subjects a statement of `_cited_events` reads the events of, bound when it runs.
SUBJECTS: BindParameter[Any] = bindparam("subjects", expanding=True)


def _cited_events(
    subject_type: str,
    of_subjects: bool,
    columns: Sequence[Any],
    where: Any,
    *,
    by_id: bool = False,
) -> Any:
    """The subjects' events (`SUBJECTS`; every subject of the type's, without `of_subjects`)
    that `where` picks, each once per article citing it: their subject, id and date,
    `columns`, and the article's publication date; oldest first. With `by_id`, `where` picks a
    few events by id, and their type is tested on those rather than read off the subject
    index (which SQLite, keeping no statistics, would otherwise scan whole). The callers
    build each statement once (a list on a date runs several)."""
    cited = and_(col(Citation.record_type) == "event", col(Citation.record_id) == col(Event.id))
    subjects = [col(Event.subject_id).in_(SUBJECTS)] if of_subjects else []
    of_type = col(Event.subject_type).concat("") if by_id else col(Event.subject_type)
    return (
        sa_select(
            col(Event.subject_id), col(Event.id), col(Event.date), *columns, col(Source.published)
        )
        .outerjoin(Citation, cited)
        .outerjoin(Source, col(Source.file) == col(Citation.source_file))
        .where(of_type == subject_type, *subjects, where)
        .order_by(col(Event.subject_id), col(Event.date_start), col(Event.id))
    )


@dataclass(frozen=True)
class StatusChanges:
    """The dated status changes of some subjects, oldest first, by subject; and the
    publication dates of the articles citing each, by event id: what `status_at` reads."""

    changes: dict[str, list[Any]]
    published: dict[str, list[str]]


def status_changes(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> StatusChanges:
    """The subjects' dated status changes with the publication dates of the articles citing
    each, in one query whether or not they have any."""
    found = StatusChanges(defaultdict(list), defaultdict(list))
    if not subject_ids:
        return found
    rows = session.execute(_status_changes(subject_type), {"subjects": list(subject_ids)})
    for row in rows:
        changes = found.changes[row.subject_id]
        if not changes or changes[-1].id != row.id:
            changes.append(row)
        published = found.published[row.id]
        if row.published is not None and row.published not in published:
            published.append(row.published)
    return found


@lru_cache(maxsize=16)
def _status_changes(subject_type: str) -> Any:
    columns = (
        col(Event.date_start),
        col(Event.date_inferred),
        col(Event.date_note),
        col(Event.status_before),
        col(Event.status_after),
    )
    return _cited_events(subject_type, True, columns, col(Event.status_after).is_not(None))


@lru_cache(maxsize=16)
def _fields_changes(subject_type: str, of_subjects: bool) -> Any:
    superseded = aliased(Citation)
    replaced = exists().where(
        col(superseded.record_type) == SUPERSEDED, col(superseded.record_id) == col(Event.id)
    )
    columns = (col(Event.changes), replaced.label("replaced"))
    where = or_(col(Event.changes).is_not(None), replaced)
    if not of_subjects:
        # The few events that changed fields, off two indexes, not a test of every event.
        changed = union(
            sa_select(col(Event.id)).where(
                col(Event.subject_type) == subject_type, col(Event.changes).is_not(None)
            ),
            sa_select(col(Citation.record_id)).where(col(Citation.record_type) == SUPERSEDED),
        )
        where = col(Event.id).in_(changed)
    return _cited_events(subject_type, of_subjects, columns, where, by_id=not of_subjects)


def fields_changes(
    session: Session, *, subject_type: str, subject_ids: Sequence[str] | None
) -> dict[str, list[FieldChanges]]:
    """The dated changes of the subjects' other fields than their status (and of their
    citations), oldest first, by subject (every subject of the type's when `subject_ids` is
    None), in one query whether or not they have any."""
    found: dict[str, list[FieldChanges]] = defaultdict(list)
    if subject_ids is not None and not subject_ids:
        return found
    query = _fields_changes(subject_type, subject_ids is not None)
    rows = session.execute(query, {} if subject_ids is None else {"subjects": list(subject_ids)})
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault(row.id, {"row": row, "published": []})
        if row.published is not None and row.published not in entry["published"]:
            entry["published"].append(row.published)
    for entry in grouped.values():
        row = entry["row"]
        found[row.subject_id].append(
            field_changes(row.id, row.date, row.changes, entry["published"], bool(row.replaced))
        )
    return found


def changed_since(session: Session, *, subject_type: str, date: dt.date) -> set[str]:
    """The subjects whose fields on `date` differ from now: those with a dated change of a
    field that holds only after it."""
    return {
        subject
        for subject, changes in fields_changes(
            session, subject_type=subject_type, subject_ids=None
        ).items()
        if any(change.fields and change.holds_from > date for change in changes)
    }


@dataclass(frozen=True)
class Timeline:
    """The timeline's filters: a country's events, from and to a date, of one kind."""

    country: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str | None = None


def events_query(timeline: Timeline) -> tuple[SelectOfScalar[Event], Any, Any]:
    """The timeline's events, and the (date, id) columns its order and cursor go by.

    A country's timeline is read off event_country's (country, date, id) index, which holds
    each event's date; the whole timeline off event's (date, id) or (kind, date, id).
    """
    query = select(Event)
    date, key = col(Event.date_start), col(Event.id)
    if timeline.country:
        query = query.join(EventCountry, col(EventCountry.event_id) == col(Event.id)).where(
            EventCountry.country == timeline.country
        )
        date, key = col(EventCountry.date_start), col(EventCountry.event_id)
    query = _between(query, date, timeline)
    if timeline.kind:
        query = query.where(col(Event.kind) == timeline.kind)
    return query, date, key


def _between(query: S, date: Any, timeline: Timeline) -> S:
    if timeline.date_from:
        query = query.where(date >= timeline.date_from)
    if timeline.date_to:
        query = query.where(date <= timeline.date_to)
    return query


def events_count_query(timeline: Timeline) -> SelectOfScalar[int]:
    """How many events the timeline's filters match.

    event_country holds each event's date, so its (country, date, id) index counts a
    country's timeline without reading an event: a join per match took 144 ms for one
    country's 142,860 events at 100k crossings.
    """
    if timeline.country and not timeline.kind:
        counted = select(func.count()).where(col(EventCountry.country) == timeline.country)
        return _between(counted, col(EventCountry.date_start), timeline)
    query, _date, _key = events_query(timeline)
    return select(func.count()).select_from(query.subquery())


def events_page(
    session: Session, timeline: Timeline, *, after: tuple[dt.date, str] | None, limit: int
) -> tuple[list[Event], int]:
    """Events in date order, after the (date, id) of the cursor; and how many match."""
    total = session.exec(events_count_query(timeline)).one()
    return events_after(session, timeline, after=after, limit=limit), total


def events_after(
    session: Session, timeline: Timeline, *, after: tuple[dt.date, str] | None, limit: int
) -> list[Event]:
    """Up to `limit` events in date order after the (date, id) `after`, without a total."""
    query, date, key = events_query(timeline)
    if after is not None:
        after_date, after_id = after
        query = query.where(or_(date > after_date, and_(date == after_date, key > after_id)))
    return list(session.exec(query.order_by(date, key).limit(limit)))
