"""Raw ASGI requests: the exact bytes a server would hand the app (query strings no client
library would send, bodies in chunks with no Content-Length)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.types import ASGIApp, Message


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    # How many body bytes the app read before it answered.
    read: int


def http_scope(
    method: str, path: str, query_string: bytes, headers: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The scope a server hands the app for one HTTP request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    }


def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    query_string: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    chunks: Sequence[bytes] = (),
) -> Answer:
    """One request to `app`, its body sent as `chunks` (one receive() each)."""
    scope = http_scope(method, path, query_string, headers)
    pending = list(chunks) or [b""]
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        if pending:
            chunk = pending.pop(0)
            read += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(
        status=start["status"],
        headers={k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]},
        body=body,
        read=read,
    )


@dataclass
class Streamed:
    status: int
    headers: dict[str, str]
    # How many body messages came, and their bytes; the bodies themselves are not kept.
    chunks: int
    size: int


def stream(
    app: ASGIApp,
    path: str,
    *,
    query_string: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    method: str = "GET",
    on_body: Callable[[bytes], None] = lambda _body: None,
) -> Streamed:
    """One request to `app`, handing each body message to `on_body` as it comes (as a server
    would write it to the socket), so a long answer is never held whole here."""
    scope = http_scope(method, path, query_string, headers)
    answer = Streamed(status=0, headers={}, chunks=0, size=0)
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]
            }
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            answer.chunks += 1
            answer.size += len(body)
            on_body(body)

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    return answer
