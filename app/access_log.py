"""The access log: one structured line per request, written off the request path.

Each request is noted (app.main.BorderStatusAPI) with what it was: the method, the target,
the status and bytes sent (which the response cache puts in the scope), the time taken and the
client, as a tuple appended to a deque. A thread of its own formats the lines and writes them
to standard output, a batch at a time. uvicorn's own access log, which formats and writes
each line through `logging` on the event loop, is off (app.server): it cost a hot read about
two thirds of its speed. With ACCESS_LOG=false nothing is noted.
"""

import datetime as dt
import json
import re
import sys
import threading
import time
from collections import deque
from typing import Literal, TextIO

from starlette.types import Message, Scope, Send

# Where the answer's status and size are noted in the scope, as [status, bytes].
ANSWERED = "borderstatus.answered"
# The longest target a line keeps: a query string has no bound of its own.
TARGET_LENGTH = 2000
# How many targets, as a line writes them, are kept: a service answers the same few URLs most.
# Only short ones, so what is kept stays small whatever clients send (a flood of long, distinct
# query strings is a test of its own).
TARGETS_KEPT = 1024
TARGET_KEPT_LENGTH = 256
# A target that goes into a JSON string as it is: printable ASCII but `"` and `\\`.
PLAIN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")

Entry = tuple[float, str, str, bytes, int, int, float, str]
Format = Literal["json", "text"]


class AccessWriter:
    """The thread that formats and writes the lines, a batch every `interval` seconds: the
    event loop only appends to a deque, and the thread wakes a few times a second rather than
    once a request, so it takes the GIL (which the loop needs) for as little as it can. While
    it isn't running, nothing is noted (an app that isn't serving, such as a test's, keeps no
    queue)."""

    def __init__(
        self, style: Format = "json", *, interval: float = 0.25, stream: TextIO | None = None
    ) -> None:
        self.style = style
        self.interval = interval
        self.stream = stream
        self.entries: deque[Entry] = deque()
        self.running = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._second = -1
        self._prefix = ""
        self._milli = -1
        self._stamp = ""
        self._targets: dict[tuple[str, bytes], str] = {}

    def start(self) -> None:
        self.running = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        """Write what is queued, then stop."""
        self.running = False
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        lines = []
        entries = self.entries
        while entries:
            lines.append(self.line(entries.popleft()))
        if not lines:
            return
        stream = self.stream or sys.stdout
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError):  # a closed or full stream must not stop the service
            pass

    def note(self, scope: Scope, start: float, *, failed: bool) -> None:
        """Note a request that began at `start` (perf_counter) and is answered: the response
        cache has put the status and size in the scope (`ANSWERED`). The cost on a hot read's
        path is this: a clock read at each end and a tuple appended to a deque."""
        # What uvicorn answers for an exception that reaches it, when nothing was sent.
        status, size = scope.get(ANSWERED) or (500 if failed else 0, 0)
        peer = scope.get("client")
        self.entries.append(
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

    def line(self, entry: Entry) -> str:
        at, method, path, query, status, size, seconds, client = entry
        when = self._when(at)
        ms = round(seconds * 1000, 3)
        quoted = self._targets.get((path, query))
        if quoted is None:
            quoted = self._target(path, query)
        if self.style == "text":
            return f'{client} {when} "{method} {quoted}" {status} {size} {ms}ms'
        return (
            f'{{"time":"{when}","method":"{method}","path":{quoted},'
            f'"status":{status},"bytes":{size},"ms":{ms},"client":"{client}"}}'
        )

    def _target(self, path: str, query: bytes) -> str:
        """The target as a line writes it, kept for the next line with the same one: a JSON
        string (by hand rather than json.dumps of a dict, once a request: only the target may
        need escaping; a client is an address, a method a token), or as it is in text."""
        target = (path + ("?" + query.decode("latin-1") if query else ""))[:TARGET_LENGTH]
        if self.style == "json":
            target = f'"{target}"' if PLAIN.fullmatch(target) else json.dumps(target)
        if len(path) + len(query) <= TARGET_KEPT_LENGTH:
            if len(self._targets) >= TARGETS_KEPT:
                self._targets.clear()
            self._targets[(path, query)] = target
        return target

    def _when(self, at: float) -> str:
        """ISO 8601 in UTC to the millisecond, made once a millisecond (the lines of a busy
        one share it), its second's part once a second."""
        milli = int(at * 1000)
        if milli == self._milli:
            return self._stamp
        second, fraction = divmod(milli, 1000)
        if second != self._second:
            self._second = second
            self._prefix = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        self._milli = milli
        self._stamp = f"{self._prefix}.{fraction:03d}+00:00"
        return self._stamp


def recording(scope: Scope, send: Send) -> Send:
    """`send`, noting in the scope the status and the bytes of the answer it carries (for an
    answer the response cache doesn't send from what it holds, which it notes itself)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope[ANSWERED] = [message["status"], 0]
        elif message["type"] == "http.response.body" and ANSWERED in scope:
            scope[ANSWERED][1] += len(message.get("body", b""))
        await send(message)

    return sending
