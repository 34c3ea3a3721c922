"""HTTP caching for GET and HEAD, in front of the whole application.

- Every 200 answer gets a strong ETag (a hash of the body) and a short Cache-Control max-age;
  If-None-Match with a matching tag gives a 304; errors are `no-store`, and an answer the
  application marks `private` is passed on and never kept.
- Answers are kept in memory, keyed by the exact path and query string (and whether the request
  had an Origin, which changes the CORS headers, and whether its Accept asks for CSV), and
  served again without touching the application or the database, until the data version
  changes. Accept and If-None-Match are list headers: a request that sends one on several
  lines is read as if it had sent them on one, joined with ", " (RFC 9110, 5.3), here and in
  the routes alike (`app.media.list_field`), so an answer is never kept under the key of
  another media type than the one the route chose.
- What is kept is bounded twice: by RESPONSE_CACHE_BYTES, which counts each answer's key,
  headers and body and a fixed allowance for its Python objects, and by
  RESPONSE_CACHE_ENTRIES answers. When either would be exceeded, the oldest answers go first.
- Only answers to a canonical request target are kept: a query string of at most
  MAX_KEPT_QUERY_BYTES bytes that names each parameter once and has no empty `&&` part.
  Every other spelling (a repeated key, of which a route reads the last value; padding) is
  answered as usual and not kept, so a client can't fill the cache with copies of one
  answer under keys of its choosing. No legitimate query of this API comes near the bound.
- An answer the application marks `no-store` (the exports, streamed as they are read, and the
  audit log) is never kept, so it is not buffered either: it is passed on as it comes, chunk
  by chunk, with no ETag. To a HEAD, the application is stopped once the headers are sent.
- The data version is a row every write bumps. A watcher thread reads it a few times a second,
  so a change made by any worker or host shows here within the poll interval; a change made
  in this process calls `invalidate()` at once.
- Requests for the same key that arrive while its answer is being computed wait for that one
  computation instead of each running their own (a burst of polls after a write costs one
  query per distinct answer). A request that arrives after an invalidation never joins a
  computation begun before it.
HEAD is answered as GET without the body.
"""

import hashlib
import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access_log import ANSWERED, recording
from app.media import accepts_csv, list_field

log = logging.getLogger("borderstatus.cache")

UNCACHED_PATHS = frozenset({"/healthz", "/readyz"})
T = TypeVar("T")
# Path, query string, whether the request had an Origin, whether its Accept prefers CSV.
Key = tuple[str, bytes, bool, bool]
# Longer query strings are answered but not kept. The longest a route takes (every filter at
# its maximum length, a cursor) is well under it.
MAX_KEPT_QUERY_BYTES = 4096
# What an answer's Python objects (key tuple, Entry, header lists and tuples, bytes headers,
# the dict slot) take beside the bytes counted one by one; measured with tracemalloc for
# answers of about ten headers.
ENTRY_OVERHEAD_BYTES = 2048


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list against our ETag."""
    if if_none_match.strip() == b"*":
        return True
    return any(t.strip().removeprefix(b"W/") == etag for t in if_none_match.split(b","))


def kept_query(query: bytes) -> bool:
    """Whether answers to this query string may be kept: short, each parameter named once (as
    the routes decode names, `%61` is `a`), no empty part."""
    if not query:
        return True
    if len(query) > MAX_KEPT_QUERY_BYTES:
        return False
    names = [unquote_plus(part.partition(b"=")[0].decode("latin-1")) for part in query.split(b"&")]
    return all(names) and len(set(names)) == len(names)


@dataclass(frozen=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    not_modified_headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def cost_of(key: Key, entry: Entry) -> int:
    """The memory an answer kept under `key` takes, as counted against the cache's budget.
    The 304 headers are the same objects as the 200's, so they count once."""
    headers = sum(len(name) + len(value) for name, value in entry.headers)
    return ENTRY_OVERHEAD_BYTES + len(key[0]) + len(key[1]) + headers + len(entry.body)


@dataclass
class Flight:
    """An answer being computed, or queued to be computed once the one before it is done;
    the requests for the same key wait for it."""

    done: anyio.Event = field(default_factory=anyio.Event)
    # The answer, when it was a 200 that may be kept; otherwise each waiter asks for its own.
    entry: Entry | None = None
    # The cache's generation when the computation began; None while it is queued.
    generation: int | None = None


class CacheStore:
    """The cached answers of one application. Touched only from its event loop."""

    def __init__(self, *, enabled: bool, max_bytes: int, max_entries: int = 10_000) -> None:
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        # In the order they were kept: the oldest is evicted first.
        self.entries: dict[Key, Entry] = {}
        self.flights: dict[Key, Flight] = {}
        # The cost (`cost_of`) of every entry kept.
        self.size = 0
        # Bumped on every invalidation; an answer computed across one is not stored.
        self.generation = 0
        # Small reference data (country codes, border-level notes) for the current data version,
        # kept whether or not answers are cached.
        self.memo: dict[Hashable, Any] = {}
        # The memo is also filled from worker threads.
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self.entries = {}
            self.size = 0
            self.memo = {}

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, once per data version (not kept if the version changed meanwhile)."""
        with self._lock:
            if key in self.memo:
                found: T = self.memo[key]
                return found
            generation = self.generation
        value = compute()
        with self._lock:
            if generation == self.generation:
                self.memo[key] = value
        return value

    def store(self, key: Key, entry: Entry, generation: int) -> None:
        if not self.enabled or generation != self.generation or key[0] in UNCACHED_PATHS:
            return
        if not kept_query(key[1]):
            return
        cost = cost_of(key, entry)
        if cost > self.max_bytes // 64 or self.max_entries < 1:
            return
        if (previous := self.entries.pop(key, None)) is not None:
            self.size -= cost_of(key, previous)
        while self.entries and (
            self.size + cost > self.max_bytes or len(self.entries) >= self.max_entries
        ):
            oldest = next(iter(self.entries))
            self.size -= cost_of(oldest, self.entries.pop(oldest))
        self.entries[key] = entry
        self.size += cost


class ResponseCache:
    """ASGI middleware: ETags, 304s and Cache-Control on every GET, and a cache of answers."""

    def __init__(self, app: ASGIApp, *, store: CacheStore, max_age: int) -> None:
        self.app = app
        self.store = store
        self.cache_control = f"public, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, recording(scope, send))
            return
        head = scope["method"] == "HEAD"
        headers = scope["headers"]
        # Any Origin line changes the CORS headers alike (reads answer every origin the same).
        has_origin = any(name == b"origin" for name, _ in headers)
        key = (scope["path"], scope["query_string"], has_origin, accepts_csv(headers))
        entry = self.store.entries.get(key)
        if entry is None:
            flight = self.store.flights.get(key)
            # What the app sends to the client itself (an answer not kept) is noted as it goes.
            sending = recording(scope, send)
            if flight is None or flight.generation not in (None, self.store.generation):
                # None is computing, or one that began before the data changed: this
                # request's answer is computed after it arrived.
                entry = await self._lead(scope, receive, sending, key, head=head, behind=flight)
            else:
                await flight.done.wait()
                entry = flight.entry or await self._compute(scope, receive, sending, key, head=head)
            if entry is None:
                return
        if_none_match = list_field(headers, b"if-none-match")
        if if_none_match and matches(if_none_match, entry.etag):
            scope[ANSWERED] = [304, 0]
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": entry.not_modified_headers,
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = b"" if head else entry.body
        scope[ANSWERED] = [200, len(body)]
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": body})

    async def _lead(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: Key,
        *,
        head: bool,
        behind: Flight | None,
    ) -> Entry | None:
        """Compute the answer for `key`, with the requests that come meanwhile waiting for it,
        once `behind` (a computation of the same key begun before the data changed) is done.

        So a key has at most one computation running. When the data changes faster than an
        answer is computed (a burst of writes, a machine short of CPU), the requests of that
        time share the next computation, instead of each change's first request starting one
        more beside the others, which slowed every one of them down until no answer was kept
        at all (docs/reliability.md, Load on a busy machine)."""
        if not self.store.enabled or key[0] in UNCACHED_PATHS:
            return await self._compute(scope, receive, send, key, head=head)
        flight = Flight()
        self.store.flights[key] = flight
        try:
            if behind is not None:
                await behind.done.wait()
            # Every waiter asked before this begins, so the answer is as fresh for them as
            # for the request computing it.
            flight.generation = self.store.generation
            flight.entry = await self._compute(scope, receive, send, key, head=head)
            return flight.entry
        finally:
            if self.store.flights.get(key) is flight:
                del self.store.flights[key]
            flight.done.set()

    async def _compute(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: Key,
        *,
        head: bool,
    ) -> Entry | None:
        """Run the application; an Entry for a 200 answer, or None once anything else is sent."""
        generation = self.store.generation
        start: Message | None = None
        chunks: list[bytes] = []
        result: list[Entry] = []
        streaming = False
        stop = anyio.CancelScope()

        async def buffer(message: Message) -> None:
            nonlocal start, streaming
            if streaming:
                if not head:
                    await send(message)
                return
            if message["type"] == "http.response.start":
                if message["status"] == 200 and _no_store(message["headers"]):
                    await send(message)
                    streaming = True
                    if head:
                        await send({"type": "http.response.body", "body": b""})
                        stop.cancel()
                    return
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start["headers"] if k != b"cache-control"]
            own = b"".join(v for k, v in start["headers"] if k == b"cache-control")
            if start["status"] != 200 or b"private" in own or b"no-store" in own:
                # Errors, and answers only their requester may see (the audit log), are
                # sent as they are and never kept.
                headers.append((b"cache-control", own or b"no-store"))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": b"" if head else body})
                return
            etag = etag_of(body)
            headers += [(b"etag", etag), (b"cache-control", self.cache_control)]
            not_modified = [
                (k, v) for k, v in headers if k not in (b"content-length", b"content-type")
            ]
            result.append(Entry(headers, not_modified, body, etag))

        inner = {**scope, "method": "GET"} if head else scope
        try:
            with stop:
                await self.app(inner, receive, buffer)
        except Exception:
            # A clean-up that failed after the answer was complete (the framework took it as
            # sent): send it, as it would have gone without the cache, but don't keep it.
            if not result:
                raise
            log.warning("error after the answer to %s was complete", scope["path"], exc_info=True)
            return result[0]
        if not result:
            return None
        self.store.store(key, result[0], generation)
        return result[0]


def _no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"cache-control" and b"no-store" in value for name, value in headers)
