"""The service as `borderstatus serve` runs it (app.server): whose forwarded headers it
believes, how long a connection may take over its headers, how many it takes, and what it
logs and answers for requests it can't parse."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.server import uvicorn_options
from tests.server import Service, curated, seeded_sqlite, wait_for
from tests.writes import auth

WRONG = {"Authorization": "Bearer wrong-token-0123456789"}
# Seconds: the header timeout the served tests set, and the slack on top of it that a busy
# machine may take before it closes a connection.
HEADER_TIMEOUT = 1
SLACK = 30


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_sqlite(tmp_path_factory.mktemp("served") / "borderstatus.db")


def shipped(store: Path, log: Path, **env: str) -> Service:
    values = {**curated(store), "HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT), **env}
    return Service({"LOG_LEVEL": "info", **values}, log, ready="/healthz")


@pytest.fixture
def service(store: Path, tmp_path: Path) -> Iterator[Service]:
    """A service of the test's own: its failure limit and its log start afresh."""
    with shipped(store, tmp_path / "service.log") as running:
        yield running


@pytest.fixture(scope="module")
def shared(store: Path) -> Iterator[Service]:
    """A service for the tests that only need one running."""
    with shipped(store, store.with_name("shared.log")) as running:
        yield running


def connect(service: Service) -> socket.socket:
    connection = socket.create_connection(
        ("127.0.0.1", service.port), timeout=HEADER_TIMEOUT + SLACK
    )
    return connection


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closes `connection` (it sends nothing first) before the socket's
    timeout."""
    try:
        return connection.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# --- forwarded headers and the failed-authentication limit -----------------------------------


@pytest.mark.slow
def test_forged_forwarded_addresses_do_not_dodge_the_failure_limit(service: Service) -> None:
    url = f"{service.base_url}/v1/audit"
    answers = [
        httpx.get(url, headers={**WRONG, "X-Forwarded-For": f"203.0.113.{n}"}, timeout=30)
        for n in range(1, 12)
    ]

    assert [a.status_code for a in answers] == [401] * 10 + [429]
    # The access log names the peer, not what it claimed to be.
    assert "203.0.113." not in service.log()
    assert "127.0.0.1" in service.log()


@pytest.mark.slow
def test_a_valid_token_gets_through_after_failures_from_its_address(service: Service) -> None:
    url = f"{service.base_url}/v1/audit"
    failures = [httpx.get(url, headers=WRONG, timeout=30).status_code for _ in range(10)]

    right = httpx.get(url, headers=auth(), timeout=30)
    wrong = httpx.get(url, headers=WRONG, timeout=30)

    assert failures == [401] * 10
    assert right.status_code == 200, right.text
    assert wrong.status_code == 429


@pytest.mark.slow
def test_a_configured_proxy_is_believed(store: Path, tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    with shipped(store, log, FORWARDED_ALLOW_IPS="127.0.0.1") as service:
        answer = httpx.get(
            f"{service.base_url}/healthz", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30
        )

    assert answer.status_code == 200
    assert "203.0.113.7" in service.log()


# --- slow clients ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_connection_that_never_finishes_its_headers_is_closed(shared: Service) -> None:
    with connect(shared) as partial, connect(shared) as silent:
        partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ")
        # Others are served meanwhile.
        assert httpx.get(f"{shared.base_url}/healthz", timeout=30).status_code == 200
        assert closed_by_server(partial)
        assert closed_by_server(silent)
    assert httpx.get(f"{shared.base_url}/healthz", timeout=30).status_code == 200


@pytest.mark.slow
def test_headers_sent_a_byte_at_a_time_are_bounded_too(shared: Service) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 10_000
    deadline = time.monotonic() + HEADER_TIMEOUT + SLACK
    with connect(shared) as trickle:
        closed = False
        for byte in request:
            try:
                trickle.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)

        assert closed or closed_by_server(trickle)


@pytest.mark.slow
def test_the_next_requests_headers_get_their_own_full_time(shared: Service) -> None:
    """On a kept-alive connection, a request's headers are due `HEADER_TIMEOUT` after it
    begins, not after the first request began; and when late, they are refused."""
    with connect(shared) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while not answer.endswith(b"}"):
            answer += connection.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        time.sleep(HEADER_TIMEOUT * 0.6)
        begun = time.monotonic()
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ")
        assert closed_by_server(connection)
        # A server can only close later than due on a busy machine, never earlier.
        assert time.monotonic() - begun >= HEADER_TIMEOUT * 0.95


@pytest.mark.slow
def test_a_keep_alive_connection_may_wait_between_requests(shared: Service) -> None:
    """Between requests uvicorn's keep-alive timeout (5 s) applies, not the header timeout."""
    with httpx.Client(base_url=shared.base_url, timeout=30) as client:
        first = client.get("/healthz")
        time.sleep(HEADER_TIMEOUT * 2)
        second = client.get("/healthz")
        reused = second.extensions["network_stream"].get_extra_info("client_addr")
        assert first.extensions["network_stream"].get_extra_info("client_addr") == reused

    assert first.status_code == second.status_code == 200


@pytest.mark.slow
def test_connections_past_the_limit_are_refused(store: Path, tmp_path: Path) -> None:
    # Idle connections that the header timeout leaves open for the length of the test.
    env = {"LIMIT_CONCURRENCY": "3", "HEADER_TIMEOUT_SECONDS": "600"}
    healthz = "http://127.0.0.1:{}/healthz"
    with shipped(store, tmp_path / "service.log", **env) as service:
        url = healthz.format(service.port)
        idle = [connect(service) for _ in range(3)]
        try:
            wait_for(lambda: httpx.get(url, timeout=5).status_code == 503, 30)
        finally:
            for connection in idle:
                connection.close()
        wait_for(lambda: httpx.get(url, timeout=5).status_code == 200, 30)


# --- requests uvicorn can't parse ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"POST /v1/crossings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n",
    ],
    ids=["long-url", "bad-content-length"],
)
def test_uvicorns_own_400_carries_the_security_headers(
    shared: Service, request_bytes: bytes
) -> None:
    answer = b""
    with connect(shared) as connection:
        connection.sendall(request_bytes)
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").lower()

    assert head.startswith("http/1.1 400")
    assert "x-content-type-options: nosniff" in head
    assert "content-security-policy: default-src 'self'" in head
    assert "cache-control: no-store" in head


@pytest.mark.slow
def test_a_flood_of_malformed_requests_leaves_a_line_or_two_in_the_log(service: Service) -> None:
    for _ in range(200):
        with connect(service) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n")
            while connection.recv(65536):
                pass

    assert service.log().count("Invalid HTTP request received.") <= 2
    assert httpx.get(f"{service.base_url}/healthz", timeout=30).status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("GET", "/v1/crossings?limit=-1&country=%ff", {}, b""),
        ("GET", "/v1/crossings/%00%ff", {}, b""),
        ("POST", "/v1/crossings", {"Content-Type": "application/json"}, b"{not json"),
        ("POST", "/v1/crossings", {"Content-Type": "text/plain"}, b"x"),
        ("PATCH", "/v1/crossings/narva", {"If-Match": "\x7f"}, b"{}"),
        ("GET", "/v1/audit", {"Authorization": "Bearer \x01\x02"}, b""),
        ("BREW", "/v1/crossings", {}, b""),
    ],
)
def test_client_errors_log_no_traceback(
    shared: Service, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    answer = httpx.request(
        method, f"{shared.base_url}{path}", headers={**auth(), **headers}, content=body
    )

    assert 400 <= answer.status_code < 500, answer.text
    assert "Traceback" not in shared.log()


# --- the settings, as `serve` and `start` pass them --------------------------------------------


def test_forwarded_headers_are_believed_from_the_configured_proxies_only() -> None:
    assert uvicorn_options(Settings())["proxy_headers"] is False
    options = uvicorn_options(Settings(forwarded_allow_ips="10.0.0.5, 10.0.0.6"))
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.5", "10.0.0.6"]


def test_the_connection_limits_come_from_the_settings() -> None:
    options = uvicorn_options(Settings(limit_concurrency=50, backlog=64, access_log=False))
    assert (options["limit_concurrency"], options["backlog"]) == (50, 64)
    assert options["access_log"] is False
