"""Who may write: curators' bearer tokens, the rate limits on writes and on failed
authentication, and the guard that refuses every unsafe request without a valid token.

Tokens come hashed from the settings (sha256); a presented token is hashed and compared with
each in constant time. With no token configured, writes are disabled, never open: a request
without a bearer token is a 401 as always, one with a token a 403 that says writes are off.
Rate limits are kept in this process's memory (`limits`), so with N workers a client can
make up to N times the configured rate; see docs/decisions.md.
"""

import hashlib
import hmac
import math
import re
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.routing import Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.problems import ProblemError, problem_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The mount of the status page's scripts and styles (app.routes.status_page), and the methods
# it serves.
STATIC_MOUNT = "static"
FILE_METHODS = ("GET", "HEAD")
REALM = 'Bearer realm="borderstatus"'
# RFC 6750's b64token: what a bearer token may be made of.
TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class Curators:
    """The configured curators, and the rate limits on what they (and strangers) send."""

    def __init__(self, settings: Settings) -> None:
        self.hashes = settings.curator_token_hashes()
        self.write_limit = parse(settings.write_rate_limit)
        self.failure_limit = parse(settings.auth_failure_rate_limit)
        # The asyncio storage: the threaded one starts a timer thread at the first hit after
        # each quiet moment (every write), and the event loop waits for each thread to start,
        # which on a machine short of CPU took milliseconds a write (docs/reliability.md).
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def name_of(self, token: str) -> str | None:
        """The curator whose token this is; every configured hash is compared, in constant
        time, so the answer's timing doesn't tell how close a guess was."""
        presented = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        found = None
        for name, digest in self.hashes.items():
            if hmac.compare_digest(digest, presented):
                found = name
        return found

    async def authenticate(self, request: Request) -> str:
        """The curator making this request, or the problem that refuses it (401/403/429)."""
        known: str | None = getattr(request.state, "curator", None)
        if known is not None:
            return known
        unsafe = request.method not in SAFE_METHODS
        # A valid token is never refused for the failures of others at the same address (a
        # proxy, a NAT, or a stranger who guessed a curator's address): only the guesses are
        # limited.
        lines = request.headers.getlist("authorization")
        if len(lines) > 1:
            # The framework reads the first line, a proxy in front may read the last.
            raise ProblemError(400, "Bad request", "Send one Authorization header.")
        scheme, _, token = (lines[0] if lines else "").partition(" ")
        token = token.strip()
        bearer = scheme.lower() == "bearer" and TOKEN68.fullmatch(token) is not None
        name = self.name_of(token) if bearer else None
        client = request.client.host if request.client else "unknown"
        if name is None and not await self.limiter.test(self.failure_limit, "auth-failure", client):
            raise await self._too_many(
                self.failure_limit, ("auth-failure", client), "failed logins"
            )
        if not bearer:
            # RFC 9110: a request without credentials is a 401 that says how to give them,
            # whether or not this service takes writes.
            raise ProblemError(
                401,
                "Authentication required",
                "Send a curator's token: `Authorization: Bearer <token>`."
                + ("" if self.hashes else " This service takes no writes at present."),
                headers={"WWW-Authenticate": REALM},
            )
        if not self.hashes:
            raise ProblemError(
                403,
                "Writes are disabled",
                "No curator token is configured (CURATOR_TOKENS or CURATOR_TOKENS_FILE), so "
                "this service takes no writes and has no audit log to read.",
            )
        if name is None:
            await self.limiter.hit(self.failure_limit, "auth-failure", client)
            raise ProblemError(
                401,
                "Invalid token",
                "The bearer token is not a curator's token.",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        if unsafe and not await self.limiter.hit(self.write_limit, "write", name):
            raise await self._too_many(self.write_limit, ("write", name), "writes")
        request.state.curator = name
        return name

    async def _too_many(
        self, limit: RateLimitItem, ids: tuple[str, str], what: str
    ) -> ProblemError:
        reset = (await self.limiter.get_window_stats(limit, *ids)).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        return ProblemError(
            429,
            "Too many requests",
            f"Too many {what} ({limit}); retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


class WriteGuard:
    """ASGI middleware: no request with an unsafe method reaches a route without a valid
    curator token, whatever the route, so a route added later cannot forget to ask."""

    def __init__(self, app: ASGIApp, *, curators: Curators) -> None:
        self.app = app
        self.curators = curators

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in FILE_METHODS and _files(scope):
            request = Request(scope)
            response = problem_response(
                request,
                405,
                "Method not allowed",
                f"{scope['method']} is not allowed here.",
                headers={"Allow": ", ".join(FILE_METHODS)},
            )
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and _routed(scope):
            request = Request(scope)
            try:
                await self.curators.authenticate(request)
            except ProblemError as exc:
                response = problem_response(
                    request, exc.status, exc.title, exc.detail, exc.errors, exc.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _routed(scope: Scope) -> bool:
    """Whether a route takes this method on this path: a method no route takes is the
    router's 405 (or 404), for everyone alike."""
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


def _files(scope: Scope) -> bool:
    """Whether this path is under the static files' mount, which the router gives every
    method, but which serves GET and HEAD only."""
    try:
        prefix: str = scope["app"].router.url_path_for(STATIC_MOUNT, path="")
    except NoMatchFound:
        return False
    return str(scope["path"]).startswith(prefix)


bearer = HTTPBearer(
    auto_error=False, description="A curator's token (CURATOR_TOKENS or CURATOR_TOKENS_FILE)."
)


async def require_curator(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The curator's name; the route answers 401/403/429 without a valid token."""
    curators: Curators = request.app.state.curators
    return await curators.authenticate(request)


CuratorDep = Annotated[str, Depends(require_curator)]
