"""Request bodies, checked before routing so every route, present or future, gets the same rules:
over the limit is a 413 (a declared Content-Length at once; a chunked body counted as it
streams), anything but JSON is a 415, and JSON that doesn't parse, or nests arrays and objects
more than `MAX_JSON_DEPTH` levels deep, is a 422."""

import json
import re
from itertools import accumulate

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.media import list_field
from app.problems import problem_response

JSON_TYPES = ("application/json",)
JSON_SUFFIX = "+json"

# No body the API takes nests deeper than a few levels. Past about a thousand, json.loads
# raises RecursionError; well short of that, the framework's own recursive walks of a parsed
# body (validation, error details, encoders) run deeper still. Refusing anything past this
# bound up front keeps every route, present or future, clear of both.
MAX_JSON_DEPTH = 64
# A JSON string, or an unterminated one running to the end: always a match at its first
# quote, so scanning stays linear whatever the quotes and backslashes.
STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class RequestBodyLimits:
    """ASGI middleware: a request with a body gets it checked, then replayed to the app."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: str | None = None
        chunked = False
        media_types: list[str] = []
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value.decode("latin-1").strip()
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                media_types.append(value.decode("latin-1").partition(";")[0].strip().lower())
        # Every coding of every line: any but identity is refused below.
        encoding = (list_field(scope["headers"], b"content-encoding") or b"").decode("latin-1")
        encoding = ", ".join(c for c in encoding.lower().replace(" ", "").split(",") if c)
        if len(media_types) > 1:
            # The framework reads the first line, a proxy in front may read the last: a body
            # must not mean one thing here and another there.
            await self._problem(
                scope, receive, send, 400, "Bad request", "Send one Content-Type header."
            )
            return
        media_type = media_types[0] if media_types else ""
        if length is not None and not length.isdigit():
            await self._problem(scope, receive, send, 400, "Bad request", "Invalid Content-Length.")
            return
        if not chunked and (length is None or int(length) == 0):
            await self.app(scope, receive, send)
            return
        if length is not None and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        unsupported = None
        if encoding not in ("", "identity"):
            unsupported = (
                f"Content-Encoding {encoding!r} is not accepted; send the body uncompressed."
            )
        elif not (media_type in JSON_TYPES or media_type.endswith(JSON_SUFFIX)):
            unsupported = f"The body must be application/json, not {media_type or 'none'}."
        if unsupported is not None:
            await self._problem(scope, receive, send, 415, "Unsupported media type", unsupported)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if body and (malformed := _malformed(bytes(body))) is not None:
            reason, detail = malformed
            await self._problem(
                scope,
                receive,
                send,
                422,
                "Malformed JSON",
                detail,
                errors=[{"parameter": "body", "in": "body", "message": reason}],
            )
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._problem(
            scope,
            receive,
            send,
            413,
            "Request body too large",
            f"The body is over {self.max_bytes} bytes.",
        )

    @staticmethod
    async def _problem(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        response = problem_response(Request(scope), status, title, detail, errors)
        await response(scope, receive, send)


def nested_too_deep(body: bytes) -> bool:
    """Whether a JSON text has more than `MAX_JSON_DEPTH` arrays and objects open at once,
    counted without parsing it (so without recursion), brackets inside strings left out."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    brackets = STRING.sub(b"", body).translate(None, NOT_BRACKET)
    return max(accumulate(map(NESTING.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


def _malformed(body: bytes) -> tuple[str, str] | None:
    """Why `body` is not JSON a route can take, and the detail that says so; None if it is."""
    if nested_too_deep(body):
        reason = f"nested more than {MAX_JSON_DEPTH} levels deep"
        return reason, f"The body's arrays and objects are {reason}."
    try:
        json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        return _reason(exc), f"The body is not valid JSON: {_reason(exc)}."
    return None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno} column {error.colno}"
    return str(error)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read already, then waits on the real one (disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
