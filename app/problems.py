"""RFC 9457 problem details for every error the API returns."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db.errors import classify
from app.schemas import Problem

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("borderstatus")


class ProblemError(Exception):
    """An error the client can act on, answered as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


def invalid_parameter(name: str, message: str, **extra: Any) -> ProblemError:
    """A 422 naming the query parameter at fault."""
    return ProblemError(
        422,
        "Invalid parameter",
        f"{name}: {message}",
        errors=[{"parameter": name, "message": message, **extra}],
    )


def invalid_body(*problems: tuple[str, str]) -> ProblemError:
    """A 422 naming each field of the body at fault: (field, message) pairs."""
    return ProblemError(
        422,
        "Invalid parameter",
        "; ".join(f"{name}: {message}" for name, message in problems),
        errors=[
            {"parameter": name, "in": "body", "message": message} for name, message in problems
        ],
    )


def not_found(
    what: str, key: str, *, nearest: list[str] | None = None, search: str | None = None
) -> ProblemError:
    """A 404 naming what was asked for; with the stored ids most like it, and the search
    that finds it by name, when there are."""
    hints = []
    if nearest:
        hints.append(f"Did you mean {' or '.join(repr(n) for n in nearest)}?")
    if search:
        hints.append(f"Search by name: {search}")
    errors = [{"parameter": f"{what}_id", "message": "no such id", "nearest": nearest or []}]
    if search:
        errors[0]["search"] = search
    detail = " ".join([f"No {what} with id {key!r}.", *hints])
    return ProblemError(404, "Not found", detail, errors=errors if nearest or search else None)


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=title, status=status, detail=detail, instance=request.url.path, errors=errors
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(p) for p in error.get("loc", ())]
    where = location[0] if location else "request"
    name = ".".join(location[1:]) or where
    return {"parameter": name, "in": where, "message": error.get("msg", "invalid")}


def install(app: FastAPI) -> None:
    """Answer every error as problem+json, and never with a traceback."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.title, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_describe(e) for e in exc.errors()]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return problem_response(request, 422, "Invalid parameter", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(request, exc.status_code, title, detail, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        state = classify(exc)
        if state is None:
            log.error("database error on %s", request.url.path, exc_info=exc)
            return problem_response(request, 500, "Internal server error")
        cause = getattr(exc, "orig", None) or exc
        log.warning("%s on %s: %s", state.title, request.url.path, f"{cause}".partition("\n")[0])
        return problem_response(
            request,
            503,
            state.title,
            state.detail,
            headers={"Retry-After": str(state.retry_after)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return problem_response(request, 500, "Internal server error")


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes on this path: a path may have a route per method, and
    the router's own 405 names only the first it tried."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer."""
    descriptions = {
        304: "Not modified (If-None-Match matched the ETag).",
        401: "No curator token, or a wrong one (WWW-Authenticate: Bearer), whether or not "
        "writes are enabled.",
        403: "A bearer token while writes are disabled (no token configured), or a write "
        "refused for this browser origin.",
        404: "No record with that id, or no page at that cursor: the body says which.",
        409: "The record, or a source of that name or text, exists already.",
        412: "If-Match does not hold the record's current ETag: GET it again.",
        428: "No If-Match: GET the record and send its ETag in If-Match (or `*`).",
        422: "A parameter is invalid; the body names it.",
        429: "Too many writes or failed logins; wait Retry-After seconds.",
        413: "The request body is larger than the service accepts.",
        415: "The request body is not JSON.",
        500: "An unexpected error; the body says no more.",
        503: "The database is unavailable, busy, read-only or full; see Retry-After.",
    }
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            responses[status] = {"description": descriptions[status]}
            continue
        responses[status] = {
            "description": descriptions.get(status, "Problem"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses
