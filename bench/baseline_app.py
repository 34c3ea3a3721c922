"""The baseline: the typical FastAPI + SQLModel implementation, one query per request.

What a competent developer writes on day one from the FastAPI and SQLModel tutorials: a table
class mapped onto the project's existing `crossing` table, a session per request, a plain `def`
route that runs one `select` and a response model that FastAPI validates and serialises. It only
reads, and it reads the same DATABASE_URL as the service (same default too).

Run: DATABASE_URL=sqlite:///var/borderstatus.db uvicorn bench.baseline_app:app
     curl 'http://127.0.0.1:8000/v1/crossings?country=LV'
"""

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from sqlalchemy import or_
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

DEFAULT_DATABASE_URL = (
    f"sqlite:///{Path(__file__).resolve().parent.parent / 'var' / 'borderstatus.db'}"
)
DATABASE_URL = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


class CrossingBase(SQLModel):
    name: str
    counterpart: str | None = None
    country: str = Field(index=True)
    neighbour: str = Field(index=True)
    border_id: str
    status: str
    status_since: str | None = None
    status_since_inferred: bool = False
    status_since_note: str | None = None
    notes: str | None = None


class Crossing(CrossingBase, table=True):
    __tablename__ = "crossing"

    id: str = Field(primary_key=True)
    status_since_start: dt.date | None = None


class CrossingRead(CrossingBase):
    id: str


connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
engine = create_engine(DATABASE_URL, connect_args=connect_args)


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI(title="Baseline: FastAPI + SQLModel, one query per request")


@app.get("/v1/crossings", response_model=list[CrossingRead])
def list_crossings(
    session: SessionDep,
    country: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Sequence[Crossing]:
    """Crossings on either side of `country`'s borders, by id."""
    statement = select(Crossing)
    if country is not None:
        statement = statement.where(
            or_(col(Crossing.country) == country, col(Crossing.neighbour) == country)
        )
    return session.exec(statement.order_by(col(Crossing.id)).limit(limit)).all()
