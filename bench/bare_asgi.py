"""The ceiling: a bare ASGI app, no framework, that answers from memory.

At startup it reads the JSON file that bench/run.py wrote after fetching each benchmarked URL from
the running service (the path is in BARE_ASGI_RESPONSES, default bench/out/responses.json). For a
path+query it was given, it sends exactly the service's bytes and headers (content-type, etag,
cache-control, and the CORS headers when the request has an Origin); anything else is a 404.
Uvicorn adds `date` and `server` to its answers as it does to the service's.

Run: BARE_ASGI_RESPONSES=bench/out/responses.json uvicorn bench.bare_asgi:app

The file's shape:

    {"origin": "https://bench.example",
     "responses": [{"target": "/v1/crossings?country=LV", "status": 200,
                    "headers": [["content-type", "..."], ...],
                    "headers_with_origin": [["content-type", "..."], ...],
                    "body_base64": "..."}]}

`headers` are the service's answer to a request without Origin, `headers_with_origin` to one with
it, both less `date`, `server` and `content-length` (computed here from the body).
"""

import base64
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

RESPONSES_ENV = "BARE_ASGI_RESPONSES"
DEFAULT_RESPONSES_FILE = Path(__file__).resolve().parent / "out" / "responses.json"
NOT_FOUND = b'{"detail":"not recorded"}'


@dataclass(frozen=True)
class Recorded:
    """One answer, ready to send: the start messages (without and with Origin) and the body."""

    start: dict[str, Any]
    start_with_origin: dict[str, Any]
    body: dict[str, Any]


def _raw_headers(pairs: list[list[str]], body: bytes) -> list[tuple[bytes, bytes]]:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    return headers


def load(path: Path) -> dict[bytes, Recorded]:
    """The recorded answers in `path`, keyed by the request target (path, and `?query` if any)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    answers: dict[bytes, Recorded] = {}
    for item in document["responses"]:
        body = base64.b64decode(item["body_base64"])
        status = int(item["status"])
        answers[item["target"].encode("latin-1")] = Recorded(
            start={
                "type": "http.response.start",
                "status": status,
                "headers": _raw_headers(item["headers"], body),
            },
            start_with_origin={
                "type": "http.response.start",
                "status": status,
                "headers": _raw_headers(item["headers_with_origin"], body),
            },
            body={"type": "http.response.body", "body": body},
        )
    return answers


class BareApp:
    """Looks the request target up in a dict and sends what it finds: nothing else."""

    def __init__(self, answers: dict[bytes, Recorded]) -> None:
        self.answers = answers
        self.not_found_start: dict[str, Any] = {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(NOT_FOUND)).encode("ascii")),
            ],
        }
        self.not_found_body: dict[str, Any] = {"type": "http.response.body", "body": NOT_FOUND}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, send: Send) -> None:
        target: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        query: bytes = scope["query_string"]
        if query:
            target = target + b"?" + query
        answer = self.answers.get(target)
        if answer is None:
            await send(self.not_found_start)
            await send(self.not_found_body)
            return
        has_origin = any(name == b"origin" for name, _ in scope["headers"])
        await send(answer.start_with_origin if has_origin else answer.start)
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
        else:
            await send(answer.body)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


app = BareApp(load(Path(os.environ.get(RESPONSES_ENV, str(DEFAULT_RESPONSES_FILE)))))
