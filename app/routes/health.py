"""Liveness and readiness."""

from fastapi import APIRouter
from sqlalchemy import text

from app.db.engine import takes_writes
from app.db.errors import READ_ONLY
from app.db.session import SessionDep
from app.problems import ProblemError, problem_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(503))
def readyz(session: SessionDep) -> dict[str, str]:
    """The database answers and takes writes; 503 otherwise (a read-only one still serves reads)."""
    try:
        session.execute(text("SELECT 1 FROM country LIMIT 1"))
        writable = takes_writes(session.connection())
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        raise ProblemError(503, "Database unavailable", "The database did not answer.") from exc
    if not writable:
        raise ProblemError(
            503,
            READ_ONLY.title,
            READ_ONLY.detail,
            headers={"Retry-After": str(READ_ONLY.retry_after)},
        )
    return {"status": "ready"}
