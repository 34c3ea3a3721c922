"""Each record as the API serves it, stored beside the record so a list can send it unchanged.

A document is derived data: the presenters build it from the record, its citations, aliases and
countries. Every write that can change one calls `refresh_documents` in the same transaction.
"""

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session, col, select

from app import presenters
from app.models import Crossing, Fortification, Restriction

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


def bump_data_version(session: Session) -> None:
    """Tell every worker the data changed (they poll this row); call inside the write."""
    session.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
