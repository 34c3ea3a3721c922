"""HTTP caching for GET and HEAD: a strong ETag from the body, 304 on If-None-Match, and a
short Cache-Control max-age. HEAD is answered as GET without the body."""

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list against our ETag."""
    if if_none_match.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates


class ETagMiddleware:
    def __init__(self, app: ASGIApp, *, max_age: int) -> None:
        self.app = app
        self.cache_control = f"public, max-age={max_age}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
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
            await self._finish(scope, start, body, send, head=head)

        head = scope["method"] == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope
        await self.app(inner, receive, buffer)

    async def _finish(
        self, scope: Scope, start: Message, body: bytes, send: Send, *, head: bool
    ) -> None:
        headers = MutableHeaders(raw=list(start["headers"]))
        if start["status"] != 200:
            headers["Cache-Control"] = "no-store"
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b"" if head else body})
            return
        etag = etag_of(body)
        headers["ETag"] = etag
        headers["Cache-Control"] = self.cache_control
        if matches(Headers(scope=scope).get("if-none-match", ""), etag):
            for name in ("content-length", "content-type"):
                if name in headers:
                    del headers[name]
            await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b"" if head else body})
