"""Security headers on every response, CORS that lets writes in only from configured origins,
and the interactive docs pages with a policy of their own.

The headers are added below the response cache, so a cached answer and its 304 carry the
headers it was computed with, at no cost on the cache's hot path.
"""

import base64
import hashlib
import re
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import problem_response

# JSON answers and same-origin pages (a status page with its own scripts and styles) work
# under it; nothing may frame the service, and no plugin or foreign base URL is allowed.
API_POLICY = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# Media types whose body is text: a charset is added when the answer names none.
TEXT_TYPES = re.compile(rb"^(text/[^;]+|application/([a-z0-9.+-]+\+)?json|application/javascript)")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
READ_HEADERS = ["If-None-Match", "Accept", "Content-Type"]
# Link carries a CSV page's next cursor; Content-Disposition names a download.
EXPOSED_HEADERS = ["ETag", "Cache-Control", "Retry-After", "Link", "Content-Disposition"]
# What a curator's page sends with a write, and reads back from its answer.
WRITE_HEADERS = ["Authorization", "If-Match", "Idempotency-Key"]
WRITE_EXPOSED_HEADERS = ["Location", "Idempotent-Replayed"]

# Where FastAPI's docs pages load Swagger UI and ReDoc from.
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_FAVICON = "https://fastapi.tiangolo.com"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class SecurityHeaders:
    """ASGI middleware: nosniff, CSP, Referrer-Policy and framing rules on every response, and
    `charset=utf-8` on every text media type that lacks one. A response's own CSP is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.policy = API_POLICY.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.headers(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def headers(self, headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        present = set()
        for name, value in headers:
            name = name.lower()
            present.add(name)
            if name == b"content-type" and TEXT_TYPES.match(value) and b"charset=" not in value:
                value += b"; charset=utf-8"
            out.append((name, value))
        out += [(name, value) for name, value in HEADERS if name not in present]
        if b"content-security-policy" not in present:
            out.append((b"content-security-policy", self.policy))
        return out


class CrossOriginPolicy:
    """CORS: any origin may read; only `write_origins` may send other methods; never with
    credentials. A browser's write from any other origin (one it sends without a preflight)
    is refused with a 403 before it reaches a route."""

    def __init__(self, app: ASGIApp, *, write_origins: Sequence[str] = ()) -> None:
        self.write_origins = frozenset(write_origins)
        self.read = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=sorted(SAFE_METHODS),
            allow_headers=READ_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=600,
        )
        self.write = CORSMiddleware(
            app,
            allow_origins=sorted(self.write_origins),
            allow_methods=WRITE_METHODS,
            allow_headers=[*READ_HEADERS, *WRITE_HEADERS],
            expose_headers=[*EXPOSED_HEADERS, *WRITE_EXPOSED_HEADERS],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.read(scope, receive, send)
            return
        origin, wanted = _origin_and_requested_method(scope)
        method = wanted or scope["method"]
        if origin is None or method in SAFE_METHODS:
            # Reads, and preflights for reads, answer every origin alike (so cached answers
            # are the same for every origin).
            await self.read(scope, receive, send)
        elif origin in self.write_origins:
            await self.write(scope, receive, send)
        elif wanted is None and not _same_origin(scope, origin):
            response = problem_response(
                Request(scope),
                403,
                "Cross-origin write refused",
                f"Pages from {origin} may read this service but not change it.",
            )
            await response(scope, receive, send)
        else:
            # A preflight for a write (refused by the read policy), or a same-origin write.
            await self.read(scope, receive, send)


def _origin_and_requested_method(scope: Scope) -> tuple[str | None, str | None]:
    """The Origin, and a preflight's requested method, read as CORSMiddleware reads them (the
    first line of each), so a request that repeats one is judged by the value it acts on."""
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    wanted = headers.get("access-control-request-method") if scope["method"] == "OPTIONS" else None
    return (
        None if origin is None else origin.rstrip("/"),
        None if wanted is None else wanted.strip().upper(),
    )


def _same_origin(scope: Scope, origin: str) -> bool:
    """The page is served by this host (browsers send Origin on same-origin writes too)."""
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1")
            return origin.partition("://")[2] == host
    return False


def install_docs(app: FastAPI, *, enabled: bool) -> None:
    """Swagger UI at /docs and ReDoc at /redoc, when enabled, each with a policy that lets in
    its CDN and exactly the inline script the page carries."""
    if not enabled:
        return
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=request.scope.get("root_path", "").rstrip("/") + openapi_url,
            title=f"{app.title} - Swagger UI",
        )
        return _with_policy(page, style_src=f"'self' {DOCS_CDN}")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=request.scope.get("root_path", "").rstrip("/") + openapi_url,
            title=f"{app.title} - ReDoc",
            with_google_fonts=False,
        )
        # ReDoc styles itself with <style> elements it writes, and renders in a blob: worker.
        return _with_policy(page, style_src="'self' 'unsafe-inline'", worker_src="'self' blob:")


def _with_policy(
    page: HTMLResponse, *, style_src: str, worker_src: str | None = None
) -> HTMLResponse:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(bytes(page.body).decode())
    )
    directives = [
        "default-src 'self'",
        f"script-src 'self' {DOCS_CDN} {hashes}".strip(),
        f"style-src {style_src}",
        f"img-src 'self' data: {DOCS_FAVICON}",
        *([f"worker-src {worker_src}"] if worker_src else []),
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    page.headers["content-security-policy"] = "; ".join(directives)
    return page
