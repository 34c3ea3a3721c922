"""The application factory."""

import asyncio
import gc
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access_log import AccessWriter
from app.auth import Curators, WriteGuard
from app.cache import UNCACHED_PATHS, CacheStore, ResponseCache
from app.config import Settings, get_settings
from app.data_version import DataVersion
from app.dated import FRESHNESS, today
from app.db.engine import make_engine, make_loop_reader
from app.db.runner import Database, WritesFirst
from app.derived.day import DayRoller
from app.derived.version import data_version
from app.limits import RequestBodyLimits
from app.problems import install as install_problems
from app.problems import problem_responses
from app.routes import (
    audit,
    borders,
    conflicts,
    countries,
    crossings,
    events,
    export,
    fortifications,
    health,
    restrictions,
    search,
    sources,
    status_page,
)
from app.routes.params import check_parameters
from app.schemas import JSON_MEDIA_TYPE, Problem
from app.security import CrossOriginPolicy, SecurityHeaders, install_docs

# Real answers from the seed data, trimmed; tests check they still match the response models.
EXAMPLES_FILE = Path(__file__).with_name("openapi_examples.json")

RESOURCE_ROUTERS = [
    crossings.router,
    restrictions.router,
    fortifications.router,
    borders.router,
    countries.router,
    conflicts.router,
    events.router,
    sources.router,
    search.router,
    audit.router,
    export.router,
]

DESCRIPTION = """
The state of the borders between Russia/Belarus and their NATO neighbours (Norway, Finland,
Estonia, Latvia, Lithuania, Poland): checkpoints, restrictions, fortification projects, border
facts and the dated events behind them.

Every record carries its **provenance**: the article file, the index of the sentence, the exact
sentence text and its character offsets, so `article[char_start:char_end] == sentence`.
Claims that disagree are kept side by side (`/v1/conflicts`), and `as_of` answers the past.

Every `/v1/...` path also answers without the prefix (`/crossings?country=LV`).
Errors are `application/problem+json` (RFC 9457). Every GET carries an ETag; send it back in
`If-None-Match` for a 304.

Every list also answers CSV (`Accept: text/csv` or `format=csv`), one row per citation: the
whole list, streamed, unless `limit` or `cursor` asks for a page. `/v1/export.ndjson` streams
every record as NDJSON. Streamed answers carry no ETag and are not cached.

Reads are public. Writes (POST, PATCH) are for curators: they need a bearer token, cite at least
one quote of a stored article, keep the previous state (revisions, dated status events), and are
recorded in the audit log. `If-Match` guards a PATCH against a lost update; `Idempotency-Key`
makes a retried POST safe.
"""


class BorderStatusAPI(FastAPI):
    """FastAPI with the response cache in front of everything, its own middleware included:
    a cached answer is sent before the framework does any work. While serving, each request
    is noted for the access log here, with no layer of its own (app.access_log)."""

    cache_layer: ASGIApp | None = None
    access: AccessWriter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        layer = self.cache_layer
        if layer is None:
            await super().__call__(scope, receive, send)
            return
        access = self.access
        if access is None or not access.running or scope["type"] != "http":
            await layer(scope, receive, send)
            return
        start = time.perf_counter()
        failed = False
        try:
            await layer(scope, receive, send)
        except BaseException:
            failed = True
            raise
        finally:
            access.note(scope, start, failed=failed)


class UTF8JSONResponse(JSONResponse):
    media_type = JSON_MEDIA_TYPE


# How long a read that reaches the database may wait for this process's writes to be done
# (app.db.runner.WritesFirst): about a write's time on a busy machine.
READS_YIELD_SECONDS = 0.2
# Worker threads on SQLite unless WORKER_THREADS says otherwise (app.config).
SQLITE_THREADS = 2


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Watch the data version while serving: a change anywhere empties this process's cache."""
    loop = asyncio.get_running_loop()
    settings: Settings = app.state.settings
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(settings.switch_interval_seconds)
    threads = settings.worker_threads or (
        SQLITE_THREADS if app.state.engine.dialect.name == "sqlite" else settings.db_pool_size
    )
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    store: CacheStore = app.state.cache
    version = DataVersion(
        partial(data_version, app.state.engine),
        interval=settings.data_version_poll_seconds,
        clock=today,
    )
    version.on_change(lambda: loop.call_soon_threadsafe(store.invalidate))
    roller = DayRoller(app.state.engine)
    version.on_new_day(roller)
    app.state.data_version = version
    version.start()
    database: Database = app.state.database
    database.loop_reader = make_loop_reader(
        app.state.engine.url.render_as_string(hide_password=False),
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    # What exists now (modules, classes, routes, models, engines) lives as long as the process.
    # Frozen, the cyclic collector no longer walks it: under concurrent load the objects of the
    # requests in flight reach the oldest generation, whose collections then come often, and
    # each walked all of this (see docs/performance.md).
    gc.collect()
    gc.freeze()
    access: AccessWriter = app.state.access_writer
    if settings.access_log:
        access.start()
    yield
    access.stop()
    gc.unfreeze()
    if database.loop_reader is not None:
        await database.loop_reader.dispose()
        database.loop_reader = None
    version.stop()
    roller.wait(timeout=30)
    app.state.engine.dispose()
    sys.setswitchinterval(switch_interval)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The application, on `engine` or else one made from the settings' DATABASE_URL."""
    settings = settings or get_settings()
    app = BorderStatusAPI(
        title="Border Status API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=UTF8JSONResponse,
        dependencies=[Depends(check_parameters)],
        # Operation ids are the route names (`list_crossings`), which generated clients use as
        # their function names.
        generate_unique_id_function=_operation_id,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    FRESHNESS.days = settings.stale_after_days
    app.state.engine = engine or make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    app.state.database = Database(app.state.engine, write_wait=settings.write_wait_seconds)
    app.state.cache = CacheStore(
        enabled=settings.response_cache,
        max_bytes=settings.response_cache_bytes,
        max_entries=settings.response_cache_entries,
    )
    app.state.curators = Curators(settings)
    install_problems(app)
    for router in RESOURCE_ROUTERS:
        app.include_router(router, prefix="/v1")
    for router in RESOURCE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(health.router)
    app.include_router(status_page.router)
    install_docs(app, enabled=settings.docs_enabled)
    app.add_middleware(WriteGuard, curators=app.state.curators)
    # Bodies are checked before routing (a 413 or 415 comes before a 405); CORS is outside, so
    # a refused write still carries the CORS headers a browser needs to read it.
    app.add_middleware(RequestBodyLimits, max_bytes=settings.max_body_bytes)
    app.add_middleware(CrossOriginPolicy, write_origins=settings.cors_write_origins)
    # The cache is outermost, so a cached answer carries the CORS and security headers it was
    # computed with; the security headers wrap the framework's own 500s too.
    app.state.access_writer = AccessWriter(settings.access_log_format)
    app.cache_layer = ResponseCache(
        WritesFirst(
            SecurityHeaders(partial(FastAPI.__call__, app)),
            database=app.state.database,
            bound=READS_YIELD_SECONDS,
            exempt=UNCACHED_PATHS,
        ),
        store=app.state.cache,
        max_age=settings.cache_max_age,
    )
    if settings.access_log:
        # Outermost: every answer is logged, the cached ones too.
        app.access = app.state.access_writer
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _operation_id(route: APIRoute) -> str:
    return route.name


def _openapi(app: FastAPI) -> Any:
    """The generated schema, plus the Problem component and an example answer per endpoint."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    _document_responses(operation, examples.get(path))
            for unused in ("HTTPValidationError", "ValidationError"):
                schema["components"]["schemas"].pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _document_responses(operation: dict[str, Any], example: Any) -> None:
    responses = operation.get("responses", {})
    for response in responses.values():
        content = response.get("content", {})
        if UTF8JSONResponse.media_type in content:
            # JSON first: a generated client takes the first media type as the answer's.
            json_content = content.pop(UTF8JSONResponse.media_type)
            response["content"] = {"application/json": json_content, **content}
    ok = responses.get("200", {}).get("content", {}).get("application/json")
    if ok is not None and example is not None:
        ok["example"] = example
    if "422" in responses:
        responses["422"] = problem_responses(422)[422]
    # Any operation can meet a database that is down, read-only or full; a body can be refused
    # before it reaches the route.
    statuses = [503, *([413, 415, 422] if "requestBody" in operation else [])]
    for status, response in problem_responses(*statuses).items():
        responses.setdefault(str(status), response)
