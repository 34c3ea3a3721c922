"""CORS: any origin may read, without credentials; only the configured write origins
(WRITE_CORS_ORIGINS) may send writes from a browser. Credentials are never allowed: a curator's
token is sent explicitly in `Authorization`, never by the browser on its own."""

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

READ_METHODS = ["GET", "HEAD", "OPTIONS"]
READ_HEADERS = ["If-None-Match", "Accept", "Content-Type"]


class OriginCORS:
    """Reads get `*`; a preflight or a write from a write origin gets that origin and the
    write methods and headers. A read answers the same to every origin, so the response
    cache may keep it."""

    def __init__(self, app: ASGIApp, *, write_origins: Sequence[str], max_age: int = 600) -> None:
        self.write_origins = frozenset(write_origins)
        self.read = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=READ_METHODS,
            allow_headers=READ_HEADERS,
            expose_headers=["ETag", "Cache-Control"],
            allow_credentials=False,
            max_age=max_age,
        )
        self.write = CORSMiddleware(
            app,
            allow_origins=sorted(self.write_origins),
            allow_methods=[*READ_METHODS, "POST", "PATCH"],
            allow_headers=[*READ_HEADERS, "Authorization", "If-Match", "Idempotency-Key"],
            expose_headers=[
                "ETag",
                "Cache-Control",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
            ],
            allow_credentials=False,
            max_age=max_age,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self.write_origins
            and scope["method"] not in ("GET", "HEAD")
            and self._origin(scope) in self.write_origins
        ):
            await self.write(scope, receive, send)
        else:
            await self.read(scope, receive, send)

    @staticmethod
    def _origin(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"origin":
                return str(value.decode("latin-1").rstrip("/"))
        return None
