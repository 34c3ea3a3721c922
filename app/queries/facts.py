"""Facts stated about records, and the claims that state them."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import (
    func,
)
from sqlmodel import Session, col, select

from app.models import (
    Claim,
    Fact,
)


def facts_of(
    session: Session, *, subject_type: str, subject_ids: Sequence[str]
) -> dict[str, list[Fact]]:
    result: dict[str, list[Fact]] = defaultdict(list)
    if not subject_ids:
        return result
    rows = session.exec(
        select(Fact)
        .where(Fact.subject_type == subject_type, col(Fact.subject_id).in_(subject_ids))
        .order_by(col(Fact.id))
    )
    for fact in rows:
        result[fact.subject_id].append(fact)
    return result


def disputed_facts_page(
    session: Session, *, after: str | None, limit: int
) -> tuple[list[Fact], int]:
    """A page of the disputed facts in id order, after the id `after`, and how many there are."""
    total = session.exec(select(func.count()).where(col(Fact.disputed).is_(True))).one()
    return facts_after(session, disputed_only=True, after=after, limit=limit), total


def facts_after(
    session: Session, *, disputed_only: bool, after: str | None, limit: int
) -> list[Fact]:
    """Up to `limit` facts (or disputed facts) after the id `after`, in id order."""
    query = select(Fact)
    if disputed_only:
        query = query.where(col(Fact.disputed).is_(True))
    if after is not None:
        query = query.where(col(Fact.id) > after)
    return list(session.exec(query.order_by(col(Fact.id)).limit(limit)))


def load_claims(session: Session, *, fact_ids: Sequence[str]) -> dict[str, list[Claim]]:
    result: dict[str, list[Claim]] = defaultdict(list)
    if not fact_ids:
        return result
    rows = session.exec(
        select(Claim)
        .where(col(Claim.fact_id).in_(fact_ids))
        .order_by(col(Claim.fact_id), col(Claim.position))
    )
    for claim in rows:
        result[claim.fact_id].append(claim)
    return result
