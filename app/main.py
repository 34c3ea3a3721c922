"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.caching import ETagMiddleware
from app.config import get_settings
from app.db import get_engine
from app.problems import install as install_problems
from app.routes import (
    borders,
    conflicts,
    countries,
    crossings,
    events,
    fortifications,
    health,
    restrictions,
    search,
    sources,
)
from app.schemas import Problem

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
"""


class UTF8JSONResponse(JSONResponse):
    media_type = "application/json; charset=utf-8"


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    if get_engine.cache_info().currsize:
        get_engine().dispose()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Border Status API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=UTF8JSONResponse,
    )
    install_problems(app)
    for router in RESOURCE_ROUTERS:
        app.include_router(router, prefix="/v1")
    for router in RESOURCE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(health.router)
    app.add_middleware(ETagMiddleware, max_age=settings.cache_max_age)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "Accept", "Content-Type"],
        expose_headers=["ETag", "Cache-Control"],
        allow_credentials=False,
        max_age=600,
    )
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> Any:
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
