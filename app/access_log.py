"""The access log: one structured line per request, written off the request path.

The middleware only notes what it sees (the method, the target, the status, the bytes sent,
the time taken and the client) and puts that tuple on a queue; a thread of its own formats each
line and hands it to the `borderstatus.access` logger. uvicorn's own access log, which formats
and writes on the event loop, is off (app.server). With ACCESS_LOG=false nothing is noted.
"""

import datetime as dt
import json
import logging
import queue
import threading
import time
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("borderstatus.access")

# The longest target a line keeps: a query string has no bound of its own.
TARGET_LENGTH = 2000

Entry = tuple[float, str, str, bytes, int, int, float, str]
Format = Literal["json", "text"]


class AccessWriter:
    """The thread that formats and writes the lines; while it isn't running, nothing is
    noted (an app that isn't serving, such as a test's, keeps no queue)."""

    def __init__(self, style: Format = "json") -> None:
        self.style = style
        self.entries: queue.SimpleQueue[Entry | None] = queue.SimpleQueue()
        self.running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.running = True
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Write what is queued, then stop."""
        self.running = False
        self.entries.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while (entry := self.entries.get()) is not None:
            try:
                log.info(self.line(entry))
            except Exception:  # noqa: BLE001 - a line that can't be written must not stop the log
                log.exception("could not write an access log line")

    def line(self, entry: Entry) -> str:
        at, method, path, query, status, size, seconds, client = entry
        target = path + ("?" + query.decode("latin-1") if query else "")
        target = target[:TARGET_LENGTH]
        when = dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds")
        ms = round(seconds * 1000, 3)
        if self.style == "text":
            return f'{client} {when} "{method} {target}" {status} {size} {ms}ms'
        fields = {
            "time": when,
            "method": method,
            "path": target,
            "status": status,
            "bytes": size,
            "ms": ms,
            "client": client,
        }
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


class AccessLog:
    """ASGI middleware noting each HTTP request for `writer`: the cost on the request path is
    a clock read at each end, a wrapped `send`, and a tuple put on a queue."""

    def __init__(self, app: ASGIApp, writer: AccessWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.writer.running:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        size = 0

        async def sending(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            # What uvicorn answers for an exception that reaches it.
            status = status or 500
            raise
        finally:
            peer = scope.get("client")
            self.writer.entries.put(
                (
                    time.time(),
                    scope["method"],
                    scope["path"],
                    scope.get("query_string", b""),
                    status,
                    size,
                    time.perf_counter() - start,
                    peer[0] if peer else "-",
                )
            )
