"""`make bench`: the service against its baselines, under the same load, side by side.

Every contender runs as its own uvicorn process (one worker, same flags) on 127.0.0.1: the service,
the service with RESPONSE_CACHE=false, a bare ASGI app serving the service's bytes from memory
(bench/bare_asgi.py) and the typical FastAPI + SQLModel implementation (bench/baseline_app.py).
For each comparison wrk loads A, B, A, B, ... and the runner checks every answer's status. It prints
a Markdown table and writes it, with the machine and the command, to bench/results.md; it exits 1
if a target is missed or a run failed, and stops every process it started whatever happens.

Settings (environment): BENCH_SECONDS (per run, default 5), BENCH_ROUNDS (default 3),
BENCH_WARMUP (seconds per side before a comparison, default 2), BENCH_QUIET_WAIT (seconds to
wait, before each run, for other processes to leave the CPUs alone; default 10, 0 to not wait),
BENCH_ONLY (comma-separated: hot, conditional, cold), BENCH_POSTGRES_URL (also runs the cold
path on PostgreSQL; without it, TEST_DATABASE_URL's server is used with a database of its own,
`<name>_bench`).
"""

import base64
import dataclasses
import http.client
import json
import os
import platform
import re
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS_FILE = BENCH_DIR / "results.md"
RESPONSES_FILE = OUT_DIR / "responses.json"
SQLITE_FILE = OUT_DIR / "bench.db"
WRK_LOG = OUT_DIR / "wrk.log"
STATUS_SCRIPT = BENCH_DIR / "wrk_status.lua"
SCALE_MARKER = "<!-- scale -->"
SCALE_PLACEHOLDER = (
    "## Scale\n\nNot measured yet: the scale figures (1k, 10k and 100k crossings, SQLite and "
    "PostgreSQL) are written here by their own script. Everything from the marker above to the end "
    "of this file is theirs: `bench/run.py` keeps it as it is when it rewrites the rest.\n"
)

HOST = "127.0.0.1"
THREADS = 1
CONNECTIONS = 32
# Every load run sends it, to A and B alike: the contract's CORS headers are part of the answer.
ORIGIN = "https://dashboard.example"
# The same server settings for every contender; only the app and the port differ.
UVICORN_FLAGS = ("--host", HOST, "--workers", "1", "--no-access-log", "--log-level", "warning")

HOT_TARGETS = (
    "/v1/crossings?country=LV",
    "/crossings?country=LV",
    "/v1/borders/NO-RU",
    "/v1/restrictions?country=NO",
)
CONDITIONAL_TARGET = "/v1/crossings?country=LV"
COLD_TARGET = "/v1/crossings?country=LV"
KINDS = ("hot", "conditional", "cold")
# Cores that other processes may use during a run before it is reported as disturbed.
BUSY_CORES = 0.2
DISTURBED_MARK = "†"
# A server using less than this while no request comes is idle.
IDLE_CORES = 0.03
ISSUE_MIN_SECONDS = 5
ISSUE_MIN_ROUNDS = 2
# Headers a server adds by itself, left out when answers are compared.
SERVER_HEADERS = frozenset({"date", "server"})


class Interrupted(Exception):
    """SIGTERM: stop like on Ctrl-C."""


# ---------------------------------------------------------------------------------------------
# Settings and contenders


@dataclass(frozen=True)
class Settings:
    seconds: int
    rounds: int
    warmup: int
    quiet_wait: int
    kinds: tuple[str, ...]
    postgres_url: str | None
    postgres_owned: bool  # a database of our own next to TEST_DATABASE_URL's: dropped and made anew

    @classmethod
    def from_env(cls) -> "Settings":
        kinds = tuple(k.strip() for k in os.environ.get("BENCH_ONLY", ",".join(KINDS)).split(","))
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise SystemExit(f"BENCH_ONLY: unknown {unknown}; choose from {', '.join(KINDS)}")
        explicit = os.environ.get("BENCH_POSTGRES_URL") or None
        test_url = os.environ.get("TEST_DATABASE_URL") or None
        postgres_url = explicit or (_sibling_database(test_url) if test_url else None)
        return cls(
            seconds=_positive_int("BENCH_SECONDS", 5),
            rounds=_positive_int("BENCH_ROUNDS", 3),
            warmup=_positive_int("BENCH_WARMUP", 2),
            quiet_wait=_whole_number("BENCH_QUIET_WAIT", 10),
            kinds=kinds,
            postgres_url=postgres_url,
            postgres_owned=explicit is None and postgres_url is not None,
        )

    @property
    def below_issue_minimum(self) -> bool:
        return self.seconds < ISSUE_MIN_SECONDS or self.rounds < ISSUE_MIN_ROUNDS


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit():
        raise SystemExit(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _sibling_database(url: str) -> str:
    """TEST_DATABASE_URL's server with a database of its own, so the test data is left alone."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_bench").render_as_string(hide_password=False)


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    app: str
    factory: bool
    env: tuple[tuple[str, str], ...]
    # Started as users start it, `borderstatus serve` with its defaults (the access log on),
    # rather than by uvicorn with UVICORN_FLAGS.
    serve: bool = False


def contenders(sqlite_url: str, postgres_url: str | None) -> list[Contender]:
    def service(key: str, label: str, url: str, cache: bool) -> Contender:
        env = (("DATABASE_URL", url), ("RESPONSE_CACHE", "true" if cache else "false"))
        return Contender(key, label, "app.main:create_app", True, env, serve=True)

    def baseline(key: str, label: str, url: str) -> Contender:
        return Contender(key, label, "bench.baseline_app:app", False, (("DATABASE_URL", url),))

    bare_env = (("BARE_ASGI_RESPONSES", str(RESPONSES_FILE)),)
    found = [
        service("service", "service", sqlite_url, cache=True),
        service("service-nocache", "service, RESPONSE_CACHE=false", sqlite_url, cache=False),
        Contender("bare", "bare ASGI", "bench.bare_asgi:app", False, bare_env),
        baseline("baseline", "baseline FastAPI+SQLModel", sqlite_url),
    ]
    if postgres_url:
        found += [
            service(
                "service-nocache-pg",
                "service, RESPONSE_CACHE=false, PostgreSQL",
                postgres_url,
                cache=False,
            ),
            baseline("baseline-pg", "baseline FastAPI+SQLModel, PostgreSQL", postgres_url),
        ]
    return found


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class Server:
    contender: Contender
    port: int
    command: list[str]
    process: "subprocess.Popen[bytes]"
    log_path: Path
    log: IO[bytes]

    def url(self, target: str) -> str:
        return f"http://{HOST}:{self.port}{target}"

    def log_tail(self, lines: int = 20) -> str:
        self.log.flush()
        content = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(content[-lines:])


def uvicorn_command() -> list[str]:
    script = Path(sys.executable).parent / "uvicorn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "uvicorn"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# Settings the contenders must not inherit: the service runs with its defaults.
SETTINGS_OF_OURS = frozenset(
    {
        "WEB_CONCURRENCY",
        "RESPONSE_CACHE",
        "DATABASE_URL",
        "ACCESS_LOG",
        "ACCESS_LOG_FORMAT",
        "LOG_LEVEL",
        "WORKERS",
        "WORKER_THREADS",
    }
)


def child_environment(extra: Iterable[tuple[str, str]]) -> dict[str, str]:
    """This process's environment without anything that would set uvicorn or the cache apart."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("UVICORN_") and name not in SETTINGS_OF_OURS
    }
    env.update(extra)
    return env


class Fleet:
    """The processes this run started; `stop_all` ends each of them, by its own process group."""

    def __init__(self) -> None:
        self.servers: dict[str, Server] = {}

    def start(self, contender: Contender) -> Server:
        port = free_port()
        command = [
            *uvicorn_command(),
            contender.app,
            *(["--factory"] if contender.factory else []),
            *UVICORN_FLAGS,
            "--port",
            str(port),
        ]
        if contender.serve:
            script = Path(sys.executable).parent / "borderstatus"
            command = [str(script), "serve", "--host", HOST, "--port", str(port)]
        log_path = OUT_DIR / f"{contender.key}.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=child_environment(contender.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(contender, port, command, process, log_path, log)
        self.servers[contender.key] = server
        return server

    def stop_all(self) -> None:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            running = [s for s in self.servers.values() if s.process.poll() is None]
            for server in running:
                _signal_group(server.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for server in running:
                try:
                    server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _signal_group(server.process.pid, signal.SIGKILL)
                    server.process.wait()
            for server in self.servers.values():
                server.log.close()
        finally:
            signal.signal(signal.SIGINT, previous)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # start_new_session made the server its group's leader
    except ProcessLookupError:
        pass


def wait_until_answering(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.contender.label} exited with {server.process.returncode}:\n"
                + server.log_tail()
            )
        try:
            fetch(server.port, "/", {})
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.contender.label} did not answer in {timeout:.0f} s")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process (all its threads), 0 if it is gone."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_until_idle(servers: Iterable[Server], timeout: float = 30.0) -> list[str]:
    """Wait until no server does work of its own (start-up, warming), so none loads the others.

    Returns the servers still busy at the timeout, with how busy.
    """
    pids = {server.contender.label: server.process.pid for server in servers}
    window = 1.0
    deadline = time.monotonic() + timeout
    while True:
        before = {label: process_cpu_seconds(pid) for label, pid in pids.items()}
        time.sleep(window)
        busy = {
            label: (process_cpu_seconds(pid) - before[label]) / window
            for label, pid in pids.items()
        }
        still = {label: load for label, load in busy.items() if load > IDLE_CORES}
        if not still or time.monotonic() > deadline:
            return [f"{label} ({load:.0%} of a core)" for label, load in still.items()]


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def comparable_headers(self) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in self.headers if k not in SERVER_HEADERS)


def fetch(port: int, target: str, headers: dict[str, str]) -> Answer:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        body = response.read()
        pairs = tuple((name.lower(), value) for name, value in response.getheaders())
        return Answer(response.status, pairs, body)
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# wrk


@dataclass
class WrkRun:
    command: list[str]
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    other_cores: float = 0.0  # CPU that other processes on the machine used meanwhile
    stolen_cores: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    @property
    def disturbed(self) -> bool:
        return self.other_cores > BUSY_CORES


DURATION_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * DURATION_MS[match.group(2)]


def parse_wrk(output: str, expected: "Expectation", *, counted: bool = True) -> WrkRun:
    """The figures of one wrk run, and every reason to distrust them."""
    run = WrkRun(command=[])

    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, output, flags=re.MULTILINE)

    rate = find(r"^Requests/sec:\s+([\d.]+)\s*$")
    p50 = find(r"^\s+50%\s+(\S+)\s*$")
    p99 = find(r"^\s+99%\s+(\S+)\s*$")
    total = find(r"^\s*(\d+) requests in ")
    if rate is None or p50 is None or p99 is None or total is None:
        run.problems.append("could not read wrk's report")
        return run
    run.requests_per_second = float(rate.group(1))
    run.p50_ms = _duration_ms(p50.group(1))
    run.p99_ms = _duration_ms(p99.group(1))
    run.requests = int(total.group(1))
    sockets = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    if sockets is not None:
        names = ("connect", "read", "write", "timeout")
        errors = {n: int(v) for n, v in zip(names, sockets.groups(), strict=True) if int(v)}
        if errors:
            run.problems.append(
                "socket errors: " + ", ".join(f"{n} {v}" for n, v in errors.items())
            )
    non_ok = find(r"Non-2xx or 3xx responses: (\d+)")
    if non_ok is not None and int(non_ok.group(1)):
        run.problems.append(f"{non_ok.group(1)} non-2xx/3xx responses")
    for status, count in re.findall(r"^wrk-status (\d+) (\d+)$", output, flags=re.MULTILINE):
        run.statuses[int(status)] = run.statuses.get(int(status), 0) + int(count)
    unexpected = {s: n for s, n in run.statuses.items() if not expected.accepts(s)}
    if unexpected:
        shown = ", ".join(f"{n}× {s}" for s, n in sorted(unexpected.items()))
        run.problems.append(f"unexpected statuses ({shown}; expected {expected.text})")
    if counted and sum(run.statuses.values()) != run.requests:
        run.problems.append(f"status count {sum(run.statuses.values())} != {run.requests} requests")
    if run.requests == 0:
        run.problems.append("no request completed")
    return run


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far: by the whole machine, and by this run's own processes."""

    wall: float
    busy: float  # all CPUs, every process (user and system; not interrupts, which are ours)
    steal: float  # taken by the hypervisor for other guests
    ours: float  # this runner, its finished children (wrk) and the servers

    @classmethod
    def now(cls, pids: Iterable[int]) -> "CpuSample":
        tick = os.sysconf("SC_CLK_TCK")
        busy = steal = 0.0
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            # user, nice, system. The interrupt time (irq, softirq) is left out: on loopback it is
            # mostly the kernel carrying this benchmark's own packets, counted to no process.
            busy = sum(fields[:3]) / tick
            steal = fields[7] / tick if len(fields) > 7 else 0.0
        except (OSError, ValueError, IndexError):
            pass
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        ours += sum(process_cpu_seconds(pid) for pid in pids)
        return cls(time.monotonic(), busy, steal, ours)


def other_load(before: CpuSample, after: CpuSample) -> tuple[float, float]:
    """Cores busy with work that is not this benchmark's, and cores stolen, on average."""
    wall = max(after.wall - before.wall, 1e-9)
    others = (after.busy - before.busy) - (after.ours - before.ours)
    return max(others, 0.0) / wall, (after.steal - before.steal) / wall


def run_wrk(
    server: Server, side: "Side", seconds: int, pids: Sequence[int], *, count_statuses: bool
) -> WrkRun:
    """One wrk run. Timed runs are plain wrk: a Lua `response()` hook costs the client as much
    as a fast server's answer, and would lower the ratio it measures. The warm-up runs count
    every answer's status with bench/wrk_status.lua instead."""
    headers = [arg for name, value in side.headers for arg in ("-H", f"{name}: {value}")]
    script = ["-s", str(STATUS_SCRIPT.relative_to(PROJECT_ROOT))] if count_statuses else []
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        *script,
        *headers,
        server.url(side.target),
    ]
    before = CpuSample.now(pids)
    completed = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    others, stolen = other_load(before, CpuSample.now(pids))
    output = completed.stdout + completed.stderr
    with WRK_LOG.open("a", encoding="utf-8") as log:
        log.write(f"$ {shlex.join(command)}   # {server.contender.label}\n{output}\n")
    run = parse_wrk(output, side.expect, counted=count_statuses)
    run.command = command
    run.other_cores, run.stolen_cores = others, stolen
    if completed.returncode != 0:
        run.problems.append(f"wrk exited with {completed.returncode}")
    if server.process.poll() is not None:
        run.problems.append(f"{server.contender.label} exited with {server.process.returncode}")
    return run


# ---------------------------------------------------------------------------------------------
# Comparisons


@dataclass(frozen=True)
class Expectation:
    text: str
    low: int
    high: int

    def accepts(self, status: int) -> bool:
        return self.low <= status <= self.high


OK = Expectation("2xx", 200, 299)
NOT_MODIFIED = Expectation("304", 304, 304)


@dataclass(frozen=True)
class Side:
    server: str
    label: str
    target: str
    headers: tuple[tuple[str, str], ...]
    expect: Expectation


@dataclass
class Comparison:
    kind: str
    check: str
    a: Side
    b: Side
    min_ratio: float
    target_text: str
    ratio_of: str
    max_p99_ms: float | None = None
    problems: list[str] = field(default_factory=list)  # found before any load: not met
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    a_runs: list[WrkRun] = field(default_factory=list)
    b_runs: list[WrkRun] = field(default_factory=list)
    skipped: bool = False

    @property
    def ratio(self) -> float | None:
        a, b = mean_rate(self.a_runs), mean_rate(self.b_runs)
        return a / b if a is not None and b else None

    @property
    def round_ratios(self) -> list[float]:
        """A over B in each round: how much the ratio moves with the machine's noise."""
        return [
            a.requests_per_second / b.requests_per_second
            for a, b in zip(self.a_runs, self.b_runs, strict=False)
            if b.requests_per_second
        ]

    @property
    def failures(self) -> list[str]:
        found = list(self.problems)
        for side, runs in ((self.a, self.a_runs), (self.b, self.b_runs)):
            for number, run in enumerate(runs, start=1):
                found += [f"{side.label}, round {number}: {p}" for p in run.problems]
        return found

    @property
    def met(self) -> bool:
        ratio = self.ratio
        if self.skipped or self.failures or ratio is None or ratio < self.min_ratio:
            return False
        worst_p99 = max_p99(self.a_runs)
        return self.max_p99_ms is None or (worst_p99 is not None and worst_p99 <= self.max_p99_ms)


def mean_rate(runs: Sequence[WrkRun]) -> float | None:
    return statistics.fmean(r.requests_per_second for r in runs) if runs else None


def max_p99(runs: Sequence[WrkRun]) -> float | None:
    return max(r.p99_ms for r in runs) if runs else None


def plan(settings: Settings, etag: str | None) -> list[Comparison]:
    origin = (("Origin", ORIGIN),)
    comparisons: list[Comparison] = []
    if "hot" in settings.kinds:
        for target in HOT_TARGETS:
            comparisons.append(
                Comparison(
                    kind="hot",
                    check="T1 hot read",
                    a=Side("service", "service", target, origin, OK),
                    b=Side("bare", "bare ASGI", target, origin, OK),
                    min_ratio=0.80,
                    max_p99_ms=10.0,
                    target_text="≥ 0.80× bare, p99 ≤ 10 ms",
                    ratio_of="bare",
                )
            )
    if "conditional" in settings.kinds:
        conditional = Comparison(
            kind="conditional",
            check="T2 conditional",
            a=Side(
                "service",
                "service, If-None-Match → 304",
                CONDITIONAL_TARGET,
                (*origin, ("If-None-Match", etag or "")),
                NOT_MODIFIED,
            ),
            b=Side("service", "service, hot read → 200", CONDITIONAL_TARGET, origin, OK),
            min_ratio=1.0,
            target_text="≥ 1.00× hot read",
            ratio_of="hot read",
        )
        if etag is None:
            conditional.problems.append("the service sent no ETag: nothing to send back")
            conditional.skipped = True
        comparisons.append(conditional)
    if "cold" in settings.kinds:
        databases = [("", "SQLite")]
        if settings.postgres_url:
            databases.append(("-pg", "PostgreSQL"))
        for suffix, database in databases:
            comparisons.append(
                Comparison(
                    kind="cold",
                    check=f"T4 cold path, {database}",
                    a=Side(
                        f"service-nocache{suffix}",
                        "service, RESPONSE_CACHE=false",
                        COLD_TARGET,
                        origin,
                        OK,
                    ),
                    b=Side(
                        f"baseline{suffix}", "baseline FastAPI+SQLModel", COLD_TARGET, origin, OK
                    ),
                    min_ratio=3.0,
                    target_text="≥ 3.00× baseline",
                    ratio_of="baseline",
                )
            )
    return comparisons


def benchmark_pids(fleet: Fleet, postgres_database: str | None) -> list[int]:
    """The servers, and the PostgreSQL backends serving the benchmark's own database."""
    pids = [server.process.pid for server in fleet.servers.values()]
    if postgres_database:
        marker = f" {postgres_database} ".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres: ") and marker in command:
                pids.append(int(entry.name))
    return pids


def wait_for_quiet(pids: Sequence[int], limit: float) -> None:
    """Give other work on the machine up to `limit` seconds to finish before a run starts."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = CpuSample.now(pids)
        time.sleep(0.5)
        if other_load(before, CpuSample.now(pids))[0] <= BUSY_CORES:
            return


def run_comparison(
    comparison: Comparison, fleet: Fleet, settings: Settings, postgres_database: str | None
) -> None:
    if comparison.skipped:
        return
    sides = ((comparison.a, comparison.a_runs), (comparison.b, comparison.b_runs))
    for side, _ in sides:
        pids = benchmark_pids(fleet, postgres_database)
        warm = run_wrk(fleet.servers[side.server], side, settings.warmup, pids, count_statuses=True)
        # The warm-up counts every answer's status (the timed runs can't, unhooked): one that
        # isn't the expected one fails the comparison.
        if warm.failed:
            comparison.problems.append(f"warm-up of {side.label}: {'; '.join(warm.problems)}")
    for round_number in range(1, settings.rounds + 1):
        for side, runs in sides:
            pids = benchmark_pids(fleet, postgres_database)
            wait_for_quiet(pids, settings.quiet_wait)
            run = run_wrk(
                fleet.servers[side.server], side, settings.seconds, pids, count_statuses=False
            )
            runs.append(run)
            status = "FAILED: " + "; ".join(run.problems) if run.failed else "ok"
            progress(
                f"  round {round_number}: {side.label:<32} {run.requests_per_second:>9,.0f} req/s"
                f"  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms"
                f"  others {run.other_cores:.2f} / steal {run.stolen_cores:.2f} cores  {status}"
            )


# ---------------------------------------------------------------------------------------------
# Preparing the databases and the recorded answers


def borderstatus(*args: str, database_url: str) -> None:
    script = Path(sys.executable).parent / "borderstatus"
    command = [str(script), *args]
    completed = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=child_environment((("DATABASE_URL", database_url),)),
        capture_output=True,
        text=True,
        check=False,
    )
    with (OUT_DIR / "prepare.log").open("a", encoding="utf-8") as log:
        log.write(f"$ DATABASE_URL={database_url} {shlex.join(command)}\n")
        log.write(completed.stdout + completed.stderr + "\n")
    if completed.returncode != 0:
        raise RuntimeError(
            f"`borderstatus {' '.join(args)}` failed ({completed.returncode}):\n"
            + (completed.stdout + completed.stderr)[-2000:]
        )


def prepare_sqlite() -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{SQLITE_FILE}"
    borderstatus("migrate", database_url=url)
    borderstatus("seed", database_url=url)
    return url


def prepare_postgres(settings: Settings) -> str:
    assert settings.postgres_url is not None
    if settings.postgres_owned:
        parsed = make_url(settings.postgres_url)
        admin = create_engine(
            parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True
        )
        try:
            with admin.connect() as connection:
                name = str(parsed.database).replace('"', '""')
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
    borderstatus("migrate", database_url=settings.postgres_url)
    borderstatus("seed", database_url=settings.postgres_url)
    return settings.postgres_url


@dataclass
class Recording:
    targets: dict[str, Answer] = field(default_factory=dict)  # with Origin, as wrk asks
    plain: dict[str, Answer] = field(default_factory=dict)  # without Origin
    problems: dict[str, list[str]] = field(default_factory=dict)


def record_answers(service: Server) -> Recording:
    """Fetch each hot URL from the service, check its headers and write the bare app's file."""
    recording = Recording()
    responses = []
    for target in HOT_TARGETS:
        fetch(service.port, target, {"Origin": ORIGIN})  # the first answer may fill a cache
        plain = fetch(service.port, target, {})
        with_origin = fetch(service.port, target, {"Origin": ORIGIN})
        problems = []
        if with_origin.status != 200:
            problems.append(f"the service answered {target} with {with_origin.status}")
        if plain.body != with_origin.body:
            problems.append(f"{target}: the body differs with and without Origin")
        for name in ("etag", "cache-control", "access-control-allow-origin"):
            if with_origin.header(name) is None:
                problems.append(f"{target}: no {name} header")
        recording.targets[target] = with_origin
        recording.plain[target] = plain
        recording.problems[target] = problems
        responses.append(
            {
                "target": target,
                "status": with_origin.status,
                "headers": _recordable(plain),
                "headers_with_origin": _recordable(with_origin),
                "body_base64": base64.b64encode(with_origin.body).decode("ascii"),
            }
        )
    document = {"origin": ORIGIN, "responses": responses}
    RESPONSES_FILE.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return recording


def _recordable(answer: Answer) -> list[list[str]]:
    skip = SERVER_HEADERS | {"content-length"}
    return [[name, value] for name, value in answer.headers if name not in skip]


def check_bare(bare: Server, recording: Recording) -> None:
    """The bare app must answer byte for byte as the service did, or the comparison is void."""
    asked = [(t, {"Origin": ORIGIN}, a) for t, a in recording.targets.items()]
    asked += [(t, {}, a) for t, a in recording.plain.items()]
    for target, headers, expected in asked:
        got = fetch(bare.port, target, headers)
        if (got.status, got.body, got.comparable_headers()) != (
            expected.status,
            expected.body,
            expected.comparable_headers(),
        ):
            raise RuntimeError(
                f"the bare app's answer to {target} is not the service's:\n"
                f"  service: {expected.status} {expected.comparable_headers()}\n"
                f"  bare:    {got.status} {got.comparable_headers()}"
            )


def check_cold_answers(comparison: Comparison, fleet: Fleet, recording: Recording) -> None:
    """What the cold contenders answer: the same page as the cached service, and the same rows."""
    origin = {"Origin": ORIGIN}
    service = fleet.servers[comparison.a.server]
    baseline = fleet.servers[comparison.b.server]
    cold = fetch(service.port, COLD_TARGET, origin)
    base = fetch(baseline.port, COLD_TARGET, origin)
    hot = recording.targets.get(COLD_TARGET)
    if cold.status != 200:
        comparison.problems.append(f"{comparison.a.label} answered {cold.status}")
    elif hot is not None and cold.body != hot.body:
        comparison.problems.append(
            f"{comparison.a.label} answers {COLD_TARGET} differently from the cached service"
        )
    if base.status != 200:
        comparison.problems.append(f"{comparison.b.label} answered {base.status}")
        return
    try:
        rows = len(json.loads(cold.body)["data"])
        base_rows = len(json.loads(base.body))
    except (ValueError, KeyError, TypeError):
        return
    comparison.notes.append(
        f"{COLD_TARGET}: the service returns {rows} crossings in {len(cold.body):,} bytes "
        f"(with aliases, traffic and provenance), the baseline {base_rows} in "
        f"{len(base.body):,} bytes (the table's columns)"
    )
    if rows != base_rows:
        comparison.problems.append(
            f"the service returns {rows} crossings and the baseline {base_rows}: not the same query"
        )


# ---------------------------------------------------------------------------------------------
# Report


@dataclass
class Report:
    settings: Settings
    started: datetime
    comparisons: list[Comparison] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and bool(self.comparisons)
            and all(c.met for c in self.comparisons)
            and not self.settings.below_issue_minimum
        )


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def _rounds(runs: Sequence[WrkRun]) -> str:
    if not runs:
        return "—"
    return " · ".join(
        f"{r.requests_per_second:,.0f}"
        + (DISTURBED_MARK if r.disturbed else "")
        + (" (failed)" if r.failed else "")
        for r in runs
    )


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def table(comparisons: Sequence[Comparison]) -> str:
    lines = [
        "| check | contender | URL | req/s per round | mean req/s | p50 | p99 | ratio | target "
        "| met |",
        "|---|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for c in comparisons:
        ratio = c.ratio
        ratio_text = "—" if ratio is None else f"{ratio:.2f}× {c.ratio_of}"
        spread = c.round_ratios
        if len(spread) > 1:
            ratio_text += f" ({min(spread):.2f}–{max(spread):.2f})"
        p50 = statistics.fmean(r.p50_ms for r in c.a_runs) if c.a_runs else None
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    c.check,
                    f"**{c.a.label}**",
                    f"`{c.a.target}`",
                    _rounds(c.a_runs),
                    _rate(mean_rate(c.a_runs)),
                    _ms(p50),
                    _ms(max_p99(c.a_runs)),
                    ratio_text,
                    c.target_text,
                    "**yes**" if c.met else "**no**",
                )
            )
            + " |"
        )
        b_p50 = statistics.fmean(r.p50_ms for r in c.b_runs) if c.b_runs else None
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    "",
                    c.b.label,
                    f"`{c.b.target}`",
                    _rounds(c.b_runs),
                    _rate(mean_rate(c.b_runs)),
                    _ms(b_p50),
                    _ms(max_p99(c.b_runs)),
                    "1.00 (reference)",
                    "",
                    "",
                )
            )
            + " |"
        )
    return "\n".join(lines)


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        wrk_version = subprocess.run(
            ["wrk", "-v"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
        wrk_version = wrk_version.split(" Copyright")[0]
    except (OSError, IndexError):
        wrk_version = "not found"

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} ({usable} usable by this process)"),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        (
            "uvicorn",
            f"{version('uvicorn')} (uvloop {version('uvloop')}, httptools {version('httptools')})",
        ),
        (
            "FastAPI, Starlette, SQLModel, SQLAlchemy, Pydantic",
            ", ".join(
                version(p) for p in ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "pydantic")
            ),
        ),
        ("wrk", wrk_version),
    ]


def invocation() -> str:
    settings = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in (
            "BENCH_SECONDS",
            "BENCH_ROUNDS",
            "BENCH_WARMUP",
            "BENCH_ONLY",
            "BENCH_POSTGRES_URL",
            "TEST_DATABASE_URL",
        )
        if os.environ.get(name)
    )
    prefix = f"{settings} " if settings else ""
    python = os.path.relpath(sys.executable, PROJECT_ROOT)
    script = os.path.relpath(Path(__file__).resolve(), PROJECT_ROOT)
    direct = f"{prefix}{python} {script}"
    return f"{prefix}make bench   # ran: {direct}" if os.environ.get("MAKELEVEL") else direct


def render(report: Report) -> str:
    s = report.settings
    met = sum(c.met for c in report.comparisons)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.py` (`make bench`) on {report.started:%Y-%m-%d %H:%M} UTC. The "
        'targets are those of "The contract, exact, and the speed as shipped" (hot reads) and '
        '"Fast reads"; bench/README.md says how to read this.',
        "",
    ]
    if report.errors:
        lines += ["**The run did not finish:**", ""]
        lines += [f"- {e}" for e in report.errors] + [""]
    if s.below_issue_minimum:
        lines += [
            f"**Shorter than the issue asks ({s.rounds} round(s) of {s.seconds} s; it asks at "
            f"least {ISSUE_MIN_ROUNDS} rounds of {ISSUE_MIN_SECONDS} s): not evidence of any "
            "target.**",
            "",
        ]
    lines += [
        f"**{met} of {len(report.comparisons)} targets met.**",
        "",
        table(report.comparisons),
        "",
    ]
    runs = [r for c in report.comparisons for r in (*c.a_runs, *c.b_runs)]
    disturbed = [r for r in runs if r.disturbed]
    if disturbed:
        report_notes = [
            f"{DISTURBED_MARK} {len(disturbed)} of {len(runs)} runs were disturbed: other "
            f"processes on the machine used more than {BUSY_CORES} cores meanwhile (up to "
            f"{max(r.other_cores for r in disturbed):.2f}; the runner waited up to "
            f"{s.quiet_wait} s for quiet before each run). Their figures count, but "
            "trust the ratios less; run again on a quiet machine."
        ]
    else:
        report_notes = []
    stolen = max((r.stolen_cores for r in runs), default=0.0)
    if stolen > BUSY_CORES:
        report_notes.append(
            f"The hypervisor took up to {stolen:.2f} cores from this VM during a run (steal "
            "time): the host was busy too."
        )
    report_notes += report.notes
    problems = [(c, f) for c in report.comparisons for f in c.failures]
    notes = [(c, n) for c in report.comparisons for n in c.notes]
    if problems:
        lines += ["Failed runs and problems (each makes its row's target not met):", ""]
        lines += [f"- {c.check}, `{c.a.target}`: {f}" for c, f in problems] + [""]
    if notes or report_notes:
        lines += ["Notes:", ""]
        lines += [f"- {n}" for n in report_notes]
        lines += [f"- {c.check}: {n}" for c, n in notes] + [""]
    lines += [
        "## How it was measured",
        "",
        "- Each contender is its own process with one worker, on its own port on 127.0.0.1: "
        "the service as `borderstatus serve` starts it, with its default settings (the access "
        "log on), the others as uvicorn with `--no-access-log --log-level warning`:",
        "",
        "  ```",
    ]
    lines += [f"  {shlex.join(_shown(server.command))}" for server in report.servers]
    lines += [
        "  ```",
        "",
        f"- Load: plain `wrk -t{THREADS} -c{CONNECTIONS} -d{s.seconds}s --latency "
        f"-H 'Origin: {ORIGIN}' URL` (the 304 runs add "
        "`-H 'If-None-Match: \"<the ETag>\"'`). For each comparison: a "
        f"{s.warmup} s warm-up of each side, then A, B, A, B, … for {s.rounds} round(s).",
        "- The warm-up runs add `-s bench/wrk_status.lua`, which counts the status of every "
        "answer: any unexpected status (2xx expected; 304 for If-None-Match), or a count that "
        "does not add up, fails the comparison. A timed run with any socket error or non-2xx/3xx "
        "answer is failed, and its comparison not met.",
        "- req/s: wrk's Requests/sec per round, then their mean; the ratio is A's mean over "
        "B's, with the lowest and highest of the rounds' own ratios in brackets. p50: the mean "
        "of the rounds' medians. p99: the worst round's.",
        "- Before the first run the servers were left to go idle. Before each run the runner "
        f"waits up to {s.quiet_wait} s for other processes to go quiet, and during it, it "
        "measures the CPU they use: /proc/stat's user and system time less that of the servers, "
        "wrk, itself and the PostgreSQL backends of the benchmark's database. A run during which "
        f"they used more than {BUSY_CORES} cores is marked {DISTURBED_MARK}.",
        "- The bare ASGI app serves the bytes and headers the service answered, fetched from it "
        "just before, and was checked to answer each URL byte for byte as the service did.",
        "- Databases, seeded from seed_data/ by `borderstatus migrate` and `seed`: "
        + "; ".join(report.databases or ["none"])
        + ".",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {_cell(value)} |" for name, value in machine()]
    lines += [
        f"| date | {report.started:%Y-%m-%d %H:%M:%S} UTC |",
        "",
        "## Command",
        "",
        "```sh",
        invocation(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _shown(command: Sequence[str]) -> list[str]:
    """A command with the project's paths relative to its root, as one would type it there."""
    shown = []
    for arg in command:
        path = Path(arg)
        shown.append(
            str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else arg
        )
    return shown


def write_results(body: str) -> None:
    scale = SCALE_MARKER + "\n" + SCALE_PLACEHOLDER
    if RESULTS_FILE.exists():
        previous = RESULTS_FILE.read_text(encoding="utf-8")
        at = previous.find(SCALE_MARKER)
        if at >= 0:
            scale = previous[at:]
    RESULTS_FILE.write_text(body.rstrip("\n") + "\n\n" + scale.rstrip("\n") + "\n", "utf-8")


# ---------------------------------------------------------------------------------------------
# Main


def run(settings: Settings, fleet: Fleet, report: Report) -> None:
    progress("preparing the SQLite database (bench/out/bench.db) ...")
    sqlite_url = prepare_sqlite()
    report.databases.append("SQLite, `bench/out/bench.db` (WAL), made anew for this run")
    postgres_url: str | None = None
    if settings.postgres_url and "cold" in settings.kinds:
        shown = make_url(settings.postgres_url).render_as_string(hide_password=True)
        progress(f"preparing PostgreSQL ({shown}) ...")
        try:
            postgres_url = prepare_postgres(settings)
            report.databases.append(
                f"PostgreSQL, `{shown}`"
                + (" (made anew for this run)" if settings.postgres_owned else "")
            )
        except Exception as exc:  # an optional extra: say why and go on without it
            report.notes.append(f"PostgreSQL skipped: {type(exc).__name__}: {exc}".strip())
    settings = dataclasses.replace(settings, postgres_url=postgres_url)
    postgres_database = make_url(postgres_url).database if postgres_url else None

    everyone = contenders(sqlite_url, postgres_url)
    bare = next(c for c in everyone if c.key == "bare")
    for contender in everyone:
        if contender is not bare:
            fleet.start(contender)
    for server in fleet.servers.values():
        wait_until_answering(server)
    progress("recording the service's answers for the bare ASGI app ...")
    recording = record_answers(fleet.servers["service"])
    bare_server = fleet.start(bare)
    wait_until_answering(bare_server)
    check_bare(bare_server, recording)
    report.servers = list(fleet.servers.values())
    for server in report.servers:
        progress(f"  {server.contender.label:<45} {server.url('')}")
    busy = wait_until_idle(report.servers)
    if busy:
        report.notes.append("still busy with no load after 30 s: " + ", ".join(busy))

    etag = recording.targets[CONDITIONAL_TARGET].header("etag")
    report.comparisons = plan(settings, etag)
    for comparison in report.comparisons:
        if comparison.kind == "hot":
            comparison.problems += recording.problems[comparison.a.target]
        if comparison.kind == "conditional" and etag is not None:
            got = fetch(
                fleet.servers["service"].port,
                CONDITIONAL_TARGET,
                {"Origin": ORIGIN, "If-None-Match": etag},
            )
            if got.status != 304:
                comparison.notes.append(f"a request with If-None-Match got {got.status}, not 304")
        if comparison.kind == "cold":
            check_cold_answers(comparison, fleet, recording)

    WRK_LOG.write_text("", encoding="utf-8")
    for comparison in report.comparisons:
        progress(f"{comparison.check}: {comparison.a.label} vs {comparison.b.label}")
        progress(f"  {comparison.a.target}")
        run_comparison(comparison, fleet, settings, postgres_database)


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted


def main() -> int:
    settings = Settings.from_env()
    signal.signal(signal.SIGTERM, _on_sigterm)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "prepare.log").write_text("", encoding="utf-8")
    report = Report(settings=settings, started=datetime.now(UTC))
    fleet = Fleet()
    interrupted = False
    try:
        run(settings, fleet, report)
    except (KeyboardInterrupt, Interrupted):
        interrupted = True
    except Exception as exc:
        traceback.print_exc()
        report.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        fleet.stop_all()
    if interrupted:
        progress("interrupted: every process this run started is stopped; results not written")
        return 130
    text_out = render(report)
    print(text_out)
    write_results(text_out)
    progress(f"written to {RESULTS_FILE.relative_to(PROJECT_ROOT)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
