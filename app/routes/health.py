"""Liveness and readiness."""

from fastapi import APIRouter
from sqlalchemy import text

from app.db import SessionDep
from app.problems import ProblemError, problem_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503))
def readyz(session: SessionDep) -> dict[str, str]:
    """The database answers; 503 otherwise."""
    try:
        session.execute(text("SELECT 1 FROM country LIMIT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        raise ProblemError(503, "Database unavailable", "The database did not answer.") from exc
    return {"status": "ready"}
