"""Each record as the API serves it, stored beside the record so a list can send it unchanged.

A document is derived data: the presenters build it from the record, its citations, aliases and
countries. So are the tallies behind list totals. Every write that can change them calls
`refresh_documents` and `refresh_tallies` in the same transaction.
"""

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app import presenters
from app.models import (
    Crossing,
    CrossingTally,
    CrossingTraffic,
    Fortification,
    Restriction,
    RestrictionCountry,
    RestrictionTally,
)

Documented = Crossing | Restriction | Fortification
Presenter = Callable[[Session, Sequence[Any]], Sequence[BaseModel]]

# Models are typed loosely: SQLModel gives a union of table classes no common `select` type.
PRESENTERS: list[tuple[Any, Presenter]] = [
    (Crossing, presenters.crossings),
    (Restriction, presenters.restrictions),
    (Fortification, presenters.fortifications),
]


def render(out: BaseModel) -> str:
    return out.model_dump_json()


def refresh_documents(session: Session, *, batch: int = 1000) -> int:
    """Rebuild every stored document that differs from its record; the number rewritten."""
    changed = 0
    for model, present in PRESENTERS:
        after = ""
        while True:
            rows: list[Any] = list(
                session.exec(
                    select(model).where(col(model.id) > after).order_by(col(model.id)).limit(batch)
                )
            )
            if not rows:
                break
            for row, out in zip(rows, present(session, rows), strict=True):
                doc = render(out)
                if row.doc != doc:
                    row.doc = doc
                    changed += 1
            session.flush()
            after = rows[-1].id
    return changed


def fill_missing(session: Session, model: Any, page: Sequence[tuple[str, str | None]]) -> list[str]:
    """The documents of a page of (id, document) rows, building any not stored yet."""
    missing = [record_id for record_id, doc in page if doc is None]
    built: dict[str, str] = {}
    if missing:
        present = dict(PRESENTERS)[model]
        rows = list(session.exec(select(model).where(col(model.id).in_(missing))))
        built = {r.id: render(out) for r, out in zip(rows, present(session, rows), strict=True)}
    return [doc if doc is not None else built[record_id] for record_id, doc in page]


def _crossing_tallies(session: Session) -> dict[tuple[str, ...], int]:
    side = (col(Crossing.country), col(Crossing.neighbour), col(Crossing.status))
    tallies: dict[tuple[str, ...], int] = {}
    for country, neighbour, status, n in session.execute(
        sa_select(*side, func.count()).group_by(*side)
    ):
        tallies[(country, neighbour, status, "")] = n
    by_mode = (*side, col(CrossingTraffic.mode))
    for country, neighbour, status, mode, n in session.execute(
        sa_select(*by_mode, func.count())
        .join(CrossingTraffic, col(CrossingTraffic.crossing_id) == col(Crossing.id))
        .group_by(*by_mode)
    ):
        tallies[(country, neighbour, status, mode)] = n
    return tallies


def _restriction_tallies(session: Session) -> dict[tuple[str, ...], int]:
    what = (col(Restriction.kind), col(Restriction.status))
    tallies: dict[tuple[str, ...], int] = {}
    for kind, status, n in session.execute(sa_select(*what, func.count()).group_by(*what)):
        tallies[("", kind, status)] = n
    by_country = (col(RestrictionCountry.country), *what)
    for country, kind, status, n in session.execute(
        sa_select(*by_country, func.count())
        .join(RestrictionCountry, col(RestrictionCountry.restriction_id) == col(Restriction.id))
        .group_by(*by_country)
    ):
        tallies[(country, kind, status)] = n
    return tallies


TALLIES: list[tuple[Any, Callable[[Session], dict[tuple[str, ...], int]]]] = [
    (CrossingTally, _crossing_tallies),
    (RestrictionTally, _restriction_tallies),
]


def refresh_tallies(session: Session) -> int:
    """Bring the tally tables in line with the records they count; the rows changed.

    One grouped count per table: cheap beside the write that calls it, and what lets a list
    answer its total from a few rows (app.queries) however many records match.
    """
    changed = 0
    for model, count in TALLIES:
        keys = [c.key for c in model.__table__.primary_key.columns]
        wanted = count(session)
        for row in session.exec(select(model)).all():
            n = wanted.pop(tuple(getattr(row, k) for k in keys), None)
            if n is None:
                session.delete(row)
            elif row.n != n:
                row.n = n
            else:
                continue
            changed += 1
        for key, n in wanted.items():
            session.add(model(**dict(zip(keys, key, strict=True)), n=n))
            changed += 1
    session.flush()
    return changed


def bump_data_version(session: Session) -> None:
    """Tell every worker the data changed (they poll this row); call inside the write."""
    session.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
