"""How `borderstatus serve` and `start` run uvicorn: the one place its settings are made.

uvicorn, left to its defaults, believes any loopback peer's X-Forwarded-For, keeps a connection
that never finishes its headers open for ever, takes any number of connections, answers a
request it can't parse with a 400 that carries none of the service's security headers, and
logs a warning for each such request. Here the forwarded headers are believed from the
configured proxies only, the headers must arrive within a bound, the connections are counted,
and a flood of malformed requests leaves a line a minute in the log.
"""

import asyncio
import copy
import logging
import math
import time
from functools import partial
from typing import Any

import uvicorn.config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.config import Settings
from app.security import API_POLICY, HEADERS

APP = "app.main:create_app"
# What uvicorn's 400 for a request it can't parse gets, as every answer of the app does.
PARSE_ERROR_HEADERS = [
    *HEADERS,
    (b"content-security-policy", API_POLICY.encode()),
    (b"cache-control", b"no-store"),
]
# Warnings a client can make uvicorn log at will, one per request.
CLIENT_NOISE = frozenset(
    {
        "Invalid HTTP request received.",
        "Exceeded concurrency limit.",
        "Unsupported upgrade request.",
    }
)
NOISE_INTERVAL_SECONDS = 60.0


def uvicorn_options(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """The keyword arguments of `uvicorn.run` that serve the app as `settings` say."""
    proxies = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    return {
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers or settings.workers,
        "log_level": settings.log_level,
        "log_config": log_config(),
        # The app writes its own access log, off the event loop (app.access_log).
        "access_log": False,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "http": partial(HeaderTimeoutProtocol, header_timeout=settings.header_timeout_seconds),
        "limit_concurrency": settings.limit_concurrency,
        "backlog": settings.backlog,
    }


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the warnings a client can cause at will rate-limited."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["client_noise"] = {"()": f"{__name__}.ClientNoise"}
    config["loggers"]["uvicorn.error"] = {
        **config["loggers"].get("uvicorn.error", {}),
        "filters": ["client_noise"],
    }
    # The access log's lines are whole already (app.access_log), on standard output as
    # uvicorn's were.
    config["formatters"]["access_line"] = {"format": "%(message)s"}
    config["handlers"]["access_line"] = {
        "class": "logging.StreamHandler",
        "formatter": "access_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["borderstatus.access"] = {
        "handlers": ["access_line"],
        "level": "INFO",
        "propagate": False,
    }
    return config


class ClientNoise(logging.Filter):
    """Lets one of each warning in `CLIENT_NOISE` through per `interval` seconds; the next one
    let through says how many were left out."""

    def __init__(self, interval: float = NOISE_INTERVAL_SECONDS) -> None:
        super().__init__()
        self.interval = interval
        self.seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if not isinstance(message, str) or message not in CLIENT_NOISE:
            return True
        now = time.monotonic()
        last, left_out = self.seen.get(message, (-math.inf, 0))
        if now - last < self.interval:
            self.seen[message] = (last, left_out + 1)
            return False
        self.seen[message] = (now, 0)
        if left_out:
            record.msg = f"{message} ({left_out} more in the {self.interval:g} s before)"
        return True


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection that hasn't sent a whole request line
    and headers within `header_timeout` seconds of opening, or of the first byte of its next
    request; between requests, uvicorn's keep-alive timeout applies as before."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout = header_timeout
        self.header_timer: asyncio.TimerHandle | None = None
        # When the headers being waited for are due (loop time), or None between requests.
        self.headers_due: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own, with the headers every answer of the app carries.
        content = [STATUS_LINE[400]]
        for name, value in [*self.server_state.default_headers, *PARSE_ERROR_HEADERS]:
            content.extend([name, b": ", value, b"\r\n"])
        body = msg.encode("ascii")
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    # A request only notes when its headers are due: arming and cancelling a timer for each
    # one cost a hot read about as much as the rest of uvicorn's work on it. A connection has
    # at most one timer, armed when a request begins with none running; when it fires it
    # closes the connection if the headers it waits for are late, waits on for those of a
    # later request, and is not re-armed between requests.
    def _await_headers(self) -> None:
        self.headers_due = self.loop.time() + self.header_timeout
        if self.header_timer is None:
            self.header_timer = self.loop.call_at(self.headers_due, self._headers_late)

    def _stop_waiting(self) -> None:
        self.headers_due = None

    def _headers_late(self) -> None:
        self.header_timer = None
        due = self.headers_due
        if due is None or self.transport.is_closing():
            return
        if self.loop.time() >= due:
            self.transport.close()
        else:
            self.header_timer = self.loop.call_at(due, self._headers_late)
