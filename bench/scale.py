"""Issue 4, target 5 ("Scale"): the service on synthetic datasets of 1k, 10k and 100k crossings.

For each size and each backend (a SQLite file in bench/out/; PostgreSQL too when
BENCH_POSTGRES_URL or TEST_DATABASE_URL names a server, in a database of its own per size,
`bs_scale_<n>`, dropped afterwards) it:

1. generates the dataset with bench/generate.py (its own process): load rate and document build;
2. explains the main list query (EXPLAIN QUERY PLAN / EXPLAIN) and times the SQL of each list
   in this process;
3. once every size of a backend is made, starts the service as deployed (`uvicorn
   app.main:create_app --factory`, one worker) on each of them at once, with
   RESPONSE_CACHE=false so every request is a cold one, and times sequential HTTP requests of a
   few filtered lists with httpx, the sizes taking turns in rounds (side by side, so what else
   the machine does falls on every size alike);
4. reads each server's RSS from /proc/<pid>/status.

Then it puts the sizes side by side, writes the section between `<!-- scale -->` and
`<!-- /scale -->` in bench/results.md, prints it, and exits 1 if a target is missed. It stops the
servers it started and drops the databases it made whatever happens.

    .venv/bin/python -m bench.scale                      # 1k, 10k, 100k
    .venv/bin/python -m bench.scale --sizes 1000,10000   # quicker
"""

import argparse
import json
import math
import os
import platform
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql import Select
from sqlmodel import col

from app.db.engine import make_engine
from app.kinds import CROSSING, RESTRICTION
from app.models import Crossing, Restriction
from app.queries import lists
from bench import matrix
from bench.matrix import Serving

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS_FILE = BENCH_DIR / "results.md"
LOG_FILE = OUT_DIR / "scale.log"
START_MARKER = "<!-- scale -->"
END_MARKER = "<!-- /scale -->"
HOST = "127.0.0.1"

TARGET_ROWS_PER_SECOND = 50_000
TARGET_P50_MS = 20.0
TARGET_RSS_MB = 300.0
# Small enough that every list fills a whole page at the smallest size: the sizes then
# compare the same work (a short page is cheaper than a full one).
PAGE = 25
# Other processes may use this many cores during a measurement before it is marked disturbed.
BUSY_CORES = 0.25
QUIET_WAIT_SECONDS = 30
# Timed requests of one URL stop after this long, so a slow answer cannot stretch the run.
URL_SECONDS = 60
GENERATE_TIMEOUT_SECONDS = 1200
DISTURBED = "⚠"


@dataclass(frozen=True)
class ListQuery:
    """A filtered list: its URL and the conditions app.queries.lists builds for it."""

    key: str
    label: str
    path: str
    model: Any
    list_filter: Callable[[], lists.ListFilter]


LISTS = [
    ListQuery(
        "lv-open",
        "crossings, country=LV & status=open",
        f"/v1/crossings?country=LV&status=open&limit={PAGE}",
        Crossing,
        lambda: lists.record_filter(CROSSING, country="LV", status="open"),
    ),
    ListQuery(
        "by",
        "crossings, neighbour=BY",
        f"/v1/crossings?neighbour=BY&limit={PAGE}",
        Crossing,
        lambda: lists.record_filter(CROSSING, neighbour="BY"),
    ),
    ListQuery(
        "rail",
        "crossings, traffic=rail",
        f"/v1/crossings?traffic=rail&limit={PAGE}",
        Crossing,
        lambda: lists.record_filter(CROSSING, traffic="rail"),
    ),
    ListQuery(
        "ee-restrictions",
        "restrictions, country=EE",
        f"/v1/restrictions?country=EE&limit={PAGE}",
        Restriction,
        lambda: lists.record_filter(RESTRICTION, country="EE"),
    ),
]
MAIN_LIST = LISTS[0]
DETAIL_KEY = "detail"


class Interrupted(Exception):
    """SIGTERM: stop and clean up as on Ctrl-C."""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    with LOG_FILE.open("a", encoding="utf-8") as log:
        log.write(message + "\n")


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Latency:
    samples_ms: list[float]
    matches: int | None = None  # meta.total of the answer
    disturbed: float = 0.0  # cores other processes used meanwhile

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class SqlTiming:
    page_ms: float
    count_ms: float


@dataclass
class Run:
    backend: str
    size: int
    load: dict[str, Any] | None = None
    load_disturbed: float = 0.0  # cores other processes used while it loaded
    database_bytes: int | None = None
    plans: dict[str, str] = field(default_factory=dict)  # list key -> plan text
    sql: dict[str, SqlTiming] = field(default_factory=dict)
    latency: dict[str, Latency] = field(default_factory=dict)
    # (latency key, URL) of what is timed over HTTP
    paths: list[tuple[str, str]] = field(default_factory=list)
    rss_kb: int | None = None
    peak_rss_kb: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float | None:
        return None if self.load is None else float(self.load["rows_per_second"])


@dataclass
class Report:
    started: datetime
    sizes: list[int]
    backends: list[str]
    requests: int
    warmup: int
    runs: list[Run] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    server_command: list[str] = field(default_factory=list)
    postgres_version: str | None = None
    # Every endpoint on the seed's store and the largest (bench/matrix.py).
    matrix: list[Serving] = field(default_factory=list)
    interrupted: bool = False
    finished: datetime | None = None

    def run(self, backend: str, size: int) -> Run | None:
        return next((r for r in self.runs if r.backend == backend and r.size == size), None)


# ---------------------------------------------------------------------------------------------
# Databases


@dataclass
class Database:
    backend: str
    size: int
    url: str
    admin_url: str | None = None  # PostgreSQL: where to create and drop it
    name: str | None = None
    path: Path | None = None

    def create(self) -> None:
        if self.backend == "sqlite":
            assert self.path is not None
            self.remove()
            return
        with admin_engine(self.admin_url) as admin, admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))

    def remove(self) -> None:
        if self.backend == "sqlite":
            assert self.path is not None
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with admin_engine(self.admin_url) as admin, admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def size_bytes(self, engine: Engine) -> int:
        if self.backend == "sqlite":
            assert self.path is not None
            return sum(
                Path(f"{self.path}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{self.path}{s}").exists()
            )
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(current_database())"))
            return int(size.scalar_one())


@contextmanager
def admin_engine(url: str | None) -> Iterator[Engine]:
    assert url is not None
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        yield engine
    finally:
        engine.dispose()


def postgres_server_url() -> str | None:
    return os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL") or None


def database_for(backend: str, size: int, label: str | None = None) -> Database:
    """The database of one size (`label` names it instead, as for the seed's store)."""
    label = label or str(size)
    if backend == "sqlite":
        path = OUT_DIR / f"scale_{label}.db"
        return Database(backend, size, f"sqlite:///{path}", path=path)
    admin = postgres_server_url()
    assert admin is not None
    name = f"bs_scale_{label}"
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    return Database(backend, size, url, admin_url=admin, name=name)


# ---------------------------------------------------------------------------------------------
# CPU use of other processes (so a disturbed measurement says so)


@dataclass(frozen=True)
class ProcessTicks:
    name: str
    parent: int
    ticks: int  # user + system clock ticks so far
    title: str  # the command line, read for postgres processes only


def _process_ticks() -> dict[int, ProcessTicks]:
    """Every process's CPU time so far."""
    found: dict[int, ProcessTicks] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text(encoding="utf-8", errors="replace")
            name_end = raw.rfind(")")
            name = raw[raw.find("(") + 1 : name_end]
            title = ""
            if name.startswith("postgres"):
                title = Path(entry.path, "cmdline").read_text(errors="replace")
        except OSError:
            continue
        fields = raw[name_end + 2 :].split()
        found[int(entry.name)] = ProcessTicks(
            name, int(fields[1]), int(fields[11]) + int(fields[12]), title
        )
    return found


def _steal_ticks() -> int:
    """Clock ticks the hypervisor took from this machine's CPUs so far (/proc/stat)."""
    with suppress(OSError, IndexError, ValueError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8])
    return 0


def _ours(processes: dict[int, ProcessTicks], database: str | None) -> set[int]:
    """This process and all its descendants (the generator, the server), and, for PostgreSQL,
    the backends of our database and the server's own background processes."""
    ours = {os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, p in processes.items() if p.parent in ours} - ours
        ours |= more
        grew = bool(more)
    if database is not None:
        for pid, p in processes.items():
            if not p.name.startswith("postgres"):
                continue
            words = p.title.replace("\x00", " ").split()
            client = any("(" in w or w == "[local]" for w in words)
            if database in words or not client:
                ours.add(pid)
    return ours


class OtherLoad:
    """Cores taken from this run by other processes, or by the hypervisor (steal time)."""

    def __init__(self, *, database: str | None) -> None:
        self.database = database
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.before: dict[int, ProcessTicks] = {}
        self.steal = 0
        self.started = 0.0

    def start(self) -> None:
        self.before = _process_ticks()
        self.steal = _steal_ticks()
        self.started = time.monotonic()

    def cores(self) -> float:
        after = _process_ticks()
        elapsed = max(1e-3, time.monotonic() - self.started)
        ours = _ours(after, self.database) | _ours(self.before, self.database)
        used = _steal_ticks() - self.steal
        for pid, p in after.items():
            if pid not in ours and pid in self.before:
                used += p.ticks - self.before[pid].ticks
        return used / self.ticks / elapsed

    def wait_for_quiet(self, timeout: float = QUIET_WAIT_SECONDS) -> float:
        """Wait up to `timeout` s for a 1 s window in which others use < BUSY_CORES cores."""
        deadline = time.monotonic() + timeout
        while True:
            self.start()
            time.sleep(1.0)
            busy = self.cores()
            if busy < BUSY_CORES or time.monotonic() >= deadline:
                return busy


# ---------------------------------------------------------------------------------------------
# Generating


def generate(database: Database, fk_checks: str) -> dict[str, Any]:
    command = [
        sys.executable,
        str(BENCH_DIR / "generate.py"),
        "--crossings",
        str(database.size),
        "--database-url",
        database.url,
        "--fk-checks",
        fk_checks,
        "--json",
    ]
    with LOG_FILE.open("a", encoding="utf-8") as log:
        log.write(f"$ {shlex.join(command)}\n")
        log.flush()
        completed = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            timeout=GENERATE_TIMEOUT_SECONDS,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(
            f"bench/generate.py failed ({completed.returncode}); see bench/out/scale.log"
        )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------------
# The SQL of the lists: plans and timings in this process


def list_queries(item: ListQuery) -> tuple[Select[Any], Select[Any]]:
    """The page and count queries app.queries.lists.documents_page runs for this list."""
    list_filter = item.list_filter()
    values = {**list_filter.values, "limit": PAGE + 1}
    page = lists.documents_query(list_filter, after=False).params(**values)
    count = lists.count_query(list_filter).params(**values)
    return page, count


def compiled(engine: Engine, query: Select[Any]) -> str:
    return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def explain(engine: Engine, item: ListQuery) -> str:
    sqlite = engine.dialect.name == "sqlite"
    parts = []
    with engine.connect() as connection:
        for label, query in zip(("page", "count"), list_queries(item), strict=True):
            sql = compiled(engine, query)
            if sqlite:
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                depth: dict[int, int] = {0: 0}
                lines = []
                for node, parent, _unused, detail in rows:
                    depth[node] = depth.get(parent, 0) + 1
                    lines.append("  " * (depth[node] - 1) + str(detail))
            else:
                rows = connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY ON) {sql}"
                ).all()
                lines = [str(r[0]) for r in rows]
            parts.append(f"-- {label}: {' '.join(sql.split())}\n" + "\n".join(lines))
    return "\n\n".join(parts)


def time_sql(engine: Engine, item: ListQuery, repeat: int = 15) -> SqlTiming:
    """Median time of the page query and of the count query, run here on one connection."""
    page, count = list_queries(item)
    medians = []
    with engine.connect() as connection:
        for query in (page, count):
            connection.execute(query).all()
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                connection.execute(query).all()
                samples.append((time.perf_counter() - started) * 1000)
            medians.append(statistics.median(samples))
    return SqlTiming(page_ms=medians[0], count_ms=medians[1])


# ---------------------------------------------------------------------------------------------
# The server


def server_command(port: int) -> list[str]:
    """The service as `make run` and the container start it, with its default settings."""
    script = Path(sys.executable).parent / "borderstatus"
    return [str(script), "serve", "--host", HOST, "--port", str(port)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """The service in its own process group, so stopping it stops all it started."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.command = server_command(self.port)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("UVICORN_") and k not in ("WEB_CONCURRENCY",)
        }
        env.update({"DATABASE_URL": database_url, **matrix.server_environment()})
        self.log = (OUT_DIR / "scale-server.log").open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with {self.process.returncode}; "
                    "see bench/out/scale-server.log"
                )
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /readyz within {timeout:.0f} s")

    def memory_kb(self) -> tuple[int | None, int | None]:
        """VmRSS and VmHWM (the peak) of the serving process."""
        values: dict[str, int] = {}
        with suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
        return values.get("VmRSS"), values.get("VmHWM")

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


ROUNDS = 5


def measure_side_by_side(
    servers: Sequence[tuple[Run, Server, str | None]], *, requests: int, warmup: int
) -> None:
    """Sequential GETs over one keep-alive connection per server, the sizes taking turns.

    Each URL gets `requests` timed requests per size, in `ROUNDS` rounds; in each round every
    size is asked in turn (the order reversed every other round), so whatever else the machine
    does meanwhile falls on every size alike, and the sizes are compared side by side.
    """
    per_round = max(1, requests // ROUNDS)
    clients = {
        id(run): httpx.Client(base_url=server.base_url, timeout=30) for run, server, _ in servers
    }
    try:
        samples: dict[tuple[int, str], list[float]] = {}
        disturbed: dict[tuple[int, str], list[float]] = {}
        for run, _server, _database in servers:
            client = clients[id(run)]
            for key, path in run.paths:
                answer = client.get(path)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
                body = answer.json()
                run.latency[key] = Latency([], body["meta"]["total"] if "meta" in body else None)
                for _ in range(warmup):
                    client.get(path)
        for round_number in range(ROUNDS):
            order = servers if round_number % 2 == 0 else list(reversed(servers))
            for run, _server, database in order:
                client = clients[id(run)]
                load = OtherLoad(database=database)
                load.wait_for_quiet()
                for key, path in run.paths:
                    load.start()
                    deadline = time.monotonic() + URL_SECONDS / ROUNDS
                    taken = samples.setdefault((id(run), key), [])
                    for _ in range(per_round):
                        if time.monotonic() >= deadline:
                            break
                        started = time.perf_counter()
                        response = client.get(path)
                        taken.append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            raise RuntimeError(f"{path}: {response.status_code} during the run")
                    disturbed.setdefault((id(run), key), []).append(load.cores())
        for run, _server, _database in servers:
            for key, _path in run.paths:
                run.latency[key].samples_ms = samples[(id(run), key)]
                run.latency[key].disturbed = max(disturbed[(id(run), key)])
    finally:
        for client in clients.values():
            client.close()


# ---------------------------------------------------------------------------------------------
# One size on one backend


def prepare_one(database: Database, args: argparse.Namespace, report: Report) -> Run:
    """Generate one size and time its SQL; the database is kept for `serve_side_by_side`."""
    result = Run(database.backend, database.size)
    report.runs.append(result)
    name = f"{database.backend} {database.size:,}"
    progress(f"== {name}: generating ...")
    database.create()
    try:
        # What earlier sizes wrote is on disk before this load is timed, not during it.
        os.sync()
        other = OtherLoad(database=database.name)
        other.wait_for_quiet()
        other.start()
        result.load = generate(database, args.fk_checks)
        result.load_disturbed = other.cores()
        load = result.load
        progress(
            f"   {load['total_rows']:,} rows in {load['load_seconds']:.1f} s "
            f"({load['rows_per_second']:,.0f} rows/s); documents {load['documents_seconds']:.1f} s"
        )
        engine = make_engine(database.url, pool_size=2)
        try:
            result.database_bytes = database.size_bytes(engine)
            result.plans[MAIN_LIST.key] = explain(engine, MAIN_LIST)
            if database.size == max(report.sizes):
                for item in LISTS[1:]:
                    result.plans[item.key] = explain(engine, item)
            for item in LISTS:
                result.sql[item.key] = time_sql(engine, item)
            with engine.connect() as connection:
                some_id = connection.execute(
                    select(col(Crossing.id))
                    .where(col(Crossing.country) == "LV")
                    .order_by(col(Crossing.id))
                ).first()
        finally:
            engine.dispose()
        assert some_id is not None
        result.paths = [(item.key, item.path) for item in LISTS]
        result.paths.append((DETAIL_KEY, f"/v1/crossings/{some_id[0]}"))
    except (Interrupted, KeyboardInterrupt):
        raise
    except Exception as exc:  # recorded; the other sizes and backends still run
        _failed(result, name, exc)
    return result


def serve_side_by_side(
    backend: str, prepared: Sequence[tuple[Database, Run]], args: argparse.Namespace, report: Report
) -> None:
    """One server per size, all at once, timed taking turns (`measure_side_by_side`)."""
    ready = [(database, run) for database, run in prepared if not run.errors]
    if not ready:
        return
    progress(
        f"== {backend}: serving {', '.join(f'{r.size:,}' for _, r in ready)} side by side, "
        f"{args.requests} requests per URL ..."
    )
    servers: list[tuple[Run, Server, str | None]] = []
    try:
        for database, run in ready:
            server = Server(database.url)
            servers.append((run, server, database.name))
            if not report.server_command:
                settings = [
                    f"{k}=…" if k == "CURATOR_TOKENS" else f"{k}={v}"
                    for k, v in matrix.server_environment().items()
                ]
                program, *flags = server.command
                shown = [os.path.relpath(program, PROJECT_ROOT), *flags]
                report.server_command = ["DATABASE_URL=…", *settings, *shown]
        for _run, server, _name in servers:
            server.wait_until_ready()
        measure_side_by_side(servers, requests=args.requests, warmup=args.warmup)
        for run, server, _name in servers:
            run.rss_kb, run.peak_rss_kb = server.memory_kb()
            main = run.latency[MAIN_LIST.key]
            progress(
                f"   {backend} {run.size:,}: main list p50 {main.p50:.2f} ms, "
                f"p95 {main.p95:.2f} ms; RSS {(run.rss_kb or 0) / 1024:.0f} MB"
            )
        if args.matrix_requests:
            top, top_server, _name = max(servers, key=lambda served: served[0].size)
            measure_matrix(backend, top, top_server, args, report)
    except (Interrupted, KeyboardInterrupt):
        raise
    except Exception as exc:  # recorded on every size served
        for _database, run in ready:
            _failed(run, f"{backend} {run.size:,}", exc)
    finally:
        for _run, server, _name in servers:
            server.stop()


def measure_matrix(
    backend: str, top: Run, server: Server, args: argparse.Namespace, report: Report
) -> None:
    """Every endpoint (bench/matrix.py) on a store seeded as `make run` seeds it and on the
    largest one, side by side."""
    progress(f"== {backend}: every endpoint, on the seed's store and on {top.size:,} ...")
    database = database_for(backend, 0, "seed")
    servings = [
        Serving(backend, "seed", ""),
        Serving(backend, _n(top.size), server.base_url),
    ]
    report.matrix += servings
    seed: Server | None = None
    try:
        database.create()
        matrix.seed_store(database.url, PROJECT_ROOT)
        seed = Server(database.url)
        seed.wait_until_ready()
        servings[0].base_url = seed.base_url
        matrix.measure(servings, requests=args.matrix_requests)
        for found in matrix.verdicts(servings):
            progress(f"   {backend} {found.store}: {found.detail}")
    except (Interrupted, KeyboardInterrupt):
        raise
    except Exception as exc:  # recorded; the other backend still runs
        for serving in servings:
            serving.errors.append(f"{type(exc).__name__}: {exc}")
        with LOG_FILE.open("a", encoding="utf-8") as log:
            log.write(traceback.format_exc())
        progress(f"   {backend} matrix: failed: {exc}")
    finally:
        if seed is not None:
            seed.stop()
        if not args.keep:
            with suppress(Exception):
                database.remove()


def _failed(result: Run, name: str, exc: Exception) -> None:
    result.errors.append(f"{type(exc).__name__}: {exc}")
    with LOG_FILE.open("a", encoding="utf-8") as log:
        log.write(traceback.format_exc())
    progress(f"   {name}: failed: {exc}")


# ---------------------------------------------------------------------------------------------
# Markdown


def _n(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def _yes(ok: bool | None) -> str:
    return "–" if ok is None else "yes" if ok else "**no**"


def _ratio(value: float, limit: float | None) -> str:
    """A p50 ratio, bold when over the limit, with a third decimal where two would hide it."""
    if limit is None or value <= limit:
        return f"{value:.2f}×"
    digits = 3 if f"{value:.2f}" == f"{limit:.2f}" else 2
    return f"**{value:.{digits}f}×**"


def _minutes(report: Report) -> str:
    assert report.finished is not None
    return f"{(report.finished - report.started).total_seconds() / 60:.1f} min"


def growth_limit(sizes: Sequence[int]) -> float:
    """How far log N grows from the smallest size to the largest."""
    return math.log(max(sizes)) / math.log(min(sizes))


@dataclass
class Verdict:
    target: str
    backend: str
    met: bool | None
    detail: str


def verdicts(report: Report) -> list[Verdict]:
    found = []
    largest, smallest = max(report.sizes), min(report.sizes)
    limit = growth_limit(report.sizes) if len(report.sizes) > 1 else None
    for backend in report.backends:
        runs = [r for r in report.runs if r.backend == backend]
        rates = [(r.size, r.rows_per_second) for r in runs]
        if any(rate is None for _size, rate in rates) or len(runs) < len(report.sizes):
            found.append(Verdict("load", backend, False, "a size did not load"))
        else:
            slowest = min(rates, key=lambda x: x[1] or 0)
            found.append(
                Verdict(
                    "load",
                    backend,
                    all((rate or 0) >= TARGET_ROWS_PER_SECOND for _s, rate in rates),
                    f"slowest {slowest[1]:,.0f} rows/s at {_n(slowest[0])}",
                )
            )
        top = report.run(backend, largest)
        lists = [item.key for item in LISTS]
        if top is None or top.errors or not top.latency:
            found.append(Verdict("p50", backend, False, f"not measured at {_n(largest)}"))
            found.append(Verdict("rss", backend, False, f"not measured at {_n(largest)}"))
        else:
            worst = max(lists, key=lambda k: top.latency[k].p50)
            found.append(
                Verdict(
                    "p50",
                    backend,
                    all(top.latency[k].p50 <= TARGET_P50_MS for k in lists),
                    f"slowest list {_ms(top.latency[worst].p50)} "
                    f"({next(i.label for i in LISTS if i.key == worst)})",
                )
            )
            rss_mb = (top.rss_kb or 0) / 1024
            found.append(
                Verdict(
                    "rss", backend, rss_mb <= TARGET_RSS_MB, f"{rss_mb:.0f} MB at {_n(largest)}"
                )
            )
        low = report.run(backend, smallest)
        if limit is None:
            continue
        if top is None or low is None or not top.latency or not low.latency:
            found.append(Verdict("growth", backend, False, "a size was not measured"))
            continue
        keys = lists + [DETAIL_KEY]
        ratios = {k: top.latency[k].p50 / low.latency[k].p50 for k in keys}
        worst = max(ratios, key=lambda k: ratios[k])
        found.append(
            Verdict(
                "growth",
                backend,
                all(r <= limit for r in ratios.values()),
                f"largest p50 ratio {ratios[worst]:.2f}× ({_label(worst)})",
            )
        )
    for each in matrix.verdicts(report.matrix):
        target = "seed-urls" if each.store == "seed" else "large-urls"
        found.append(Verdict(target, each.backend, each.met, each.detail))
    return found


def _label(key: str) -> str:
    if key == DETAIL_KEY:
        return "one crossing"
    return next(i.label for i in LISTS if i.key == key)


BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def render(report: Report) -> str:
    sizes = report.sizes
    largest = max(sizes)
    found = verdicts(report)
    met = sum(1 for v in found if v.met)
    limit = growth_limit(sizes) if len(sizes) > 1 else None
    lines = [
        START_MARKER,
        "## Scale",
        "",
        f"Written by `bench/scale.py` on {report.started:%Y-%m-%d %H:%M} UTC: issue 4, "
        "target 5, and issue 15's every endpoint. "
        "Synthetic datasets made by `bench/generate.py`: N crossings spread over the seven real "
        "borders, each with 2–3 aliases, 1–3 traffic modes and 10 dated status changes; N/10 "
        "restrictions on 1–4 countries; N/20 fortification projects; one synthetic article "
        "per 1,000 crossings, whose sentences every record cites 1–3 times; the search "
        "documents the seeder would make for sentences, crossings, restrictions, projects and "
        "borders (not events).",
        "",
    ]
    if report.interrupted:
        lines += ["**Interrupted: the figures below are incomplete.**", ""]
    lines += [f"**{met} of {len(found)} targets met.**", ""]
    target_names = {
        "load": f"load ≥ {TARGET_ROWS_PER_SECOND:,} rows/s, at every size",
        "p50": f"cold filtered list p50 ≤ {TARGET_P50_MS:.0f} ms at {_n(largest)}, every list",
        "rss": f"serving process RSS ≤ {TARGET_RSS_MB:.0f} MB at {_n(largest)}",
        "growth": (
            f"p50 grows no worse than log N: p50 at {_n(largest)} / p50 at {_n(min(sizes))} "
            f"≤ log {largest:,} / log {min(sizes):,} = {limit:.2f}, every URL"
            if limit
            else ""
        ),
        "seed-urls": f"every endpoint cold, p50 ≤ {matrix.TARGET_SEED_MS:.0f} ms, seed's store",
        "large-urls": f"every endpoint cold, p50 ≤ {matrix.TARGET_LARGE_MS:.0f} ms, {_n(largest)}",
    }
    lines += ["| target | backend | met | |", "|---|---|---|---|"]
    for v in found:
        lines.append(
            f"| {target_names[v.target]} | {BACKEND_NAMES[v.backend]} | {_yes(v.met)} "
            f"| {v.detail} |"
        )
    lines.append("")

    # Loading
    lines += [
        "### Loading",
        "",
        "Rows: every row inserted, all tables. Load: making and inserting them in one "
        "transaction, up to the commit (a child process makes the next rows meanwhile). In the "
        "driver: the part of it spent in the database calls. Foreign keys: checked by the "
        "database per row as the schema says (SQLite, and PostgreSQL with `--fk-checks row`), "
        "or on PostgreSQL by default dropped with the secondary indexes for the load and made "
        "again after it, in its transaction, which checks every row once (the time counts as "
        "load). Documents: `refresh_documents` (the stored JSON of every crossing and "
        "restriction), the tallies and the data-version bump, timed on their own.",
        "",
        "| backend | crossings | rows | load | rows/s | in the driver | foreign keys | documents "
        "| ANALYZE | database size |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for entry in report.runs:
        if entry.load is None:
            lines.append(
                f"| {BACKEND_NAMES[entry.backend]} | {_n(entry.size)} | failed | | | | | | | |"
            )
            continue
        load = entry.load
        analyze = load.get("analyze_seconds")
        mark = f" {DISTURBED}" if entry.load_disturbed > BUSY_CORES else ""
        lines.append(
            f"| {BACKEND_NAMES[entry.backend]} | {_n(entry.size)} | {load['total_rows']:,} "
            f"| {load['load_seconds']:.1f} s | {load['rows_per_second']:,.0f}{mark} "
            f"| {load['insert_seconds']:.1f} s "
            f"| {'rebuilt after' if load.get('fk_checks') == 'rebuild' else 'per row'} "
            f"| {load['documents']:,} in "
            f"{load['documents_seconds']:.1f} s | "
            f"{'–' if analyze is None else f'{analyze:.1f} s'} "
            f"| {(entry.database_bytes or 0) / 2**20:,.0f} MiB |"
        )
    lines.append("")
    for backend in report.backends:
        top = report.run(backend, max(sizes))
        if top is None or top.load is None:
            continue
        spent = sorted(top.load["table_seconds"].items(), key=lambda kv: -kv[1])[:5]
        lines.append(
            f"- {BACKEND_NAMES[backend]} at {_n(max(sizes))}, time in the driver by table: "
            + ", ".join(
                f"{name} {seconds:.1f} s ({top.load['rows'].get(name, 0):,} rows)"
                if name in top.load["rows"]
                else f"{name} {seconds:.1f} s"
                for name, seconds in spent
            )
            + "."
        )
    lines.append("")

    # Latency
    lines += [
        "### Cold lists over HTTP, side by side",
        "",
        f"p50 / p95 of {report.requests} sequential requests per URL and size (limit={PAGE}), "
        f"in {ROUNDS} rounds in which the sizes take turns; response cache off. `ratio`: p50 "
        "at the largest size over p50 at the smallest"
        + (f" (log N grows {limit:.2f}× over that range)" if limit else "")
        + ". `SQL`: the list's page query + count query, timed on their own in the benchmark "
        "process (median of 15). `matches`: meta.total.",
        "",
    ]
    header = (
        "| backend | URL | " + " | ".join(_n(s) for s in sizes) + " | ratio | SQL (page + count) |"
    )
    lines += [header, "|---|---|" + "---:|" * len(sizes) + "---:|---|"]
    for backend in report.backends:
        for key, label in [(i.key, i.path) for i in LISTS] + [(DETAIL_KEY, "/v1/crossings/{id}")]:
            cells, sql = [], []
            for size in sizes:
                got = report.run(backend, size)
                lat = got.latency.get(key) if got else None
                if lat is None:
                    cells.append("–")
                else:
                    mark = f" {DISTURBED}" if lat.disturbed > BUSY_CORES else ""
                    matches = f"<br>{lat.matches:,} matches" if lat.matches is not None else ""
                    fewer = (
                        f" ({len(lat.samples_ms)} requests)"
                        if len(lat.samples_ms) < report.requests
                        else ""
                    )
                    cells.append(f"{_ms(lat.p50)} / {_ms(lat.p95)}{fewer}{mark}{matches}")
                timing = got.sql.get(key) if got else None
                if timing is not None:
                    sql.append(f"{_n(size)}: {timing.page_ms:.2f} + {timing.count_ms:.2f} ms")
            low, top = report.run(backend, min(sizes)), report.run(backend, largest)
            ratio = "–"
            if low and top and key in low.latency and key in top.latency:
                value = top.latency[key].p50 / low.latency[key].p50
                ratio = _ratio(value, limit)
            lines.append(
                f"| {BACKEND_NAMES[backend]} | `{label}` | "
                + " | ".join(cells)
                + f" | {ratio} | {'<br>'.join(sql) or '–'} |"
            )
    lines.append("")

    # Memory
    lines += [
        *matrix.render(report.matrix, BACKEND_NAMES),
        "### Memory of the serving process",
        "",
        "VmRSS of the uvicorn process after all its requests (peak, VmHWM, in brackets).",
        "",
        "| backend | " + " | ".join(_n(s) for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for backend in report.backends:
        cells = []
        for size in sizes:
            got = report.run(backend, size)
            if got is None or got.rss_kb is None:
                cells.append("–")
            else:
                cells.append(f"{got.rss_kb / 1024:.0f} MB ({(got.peak_rss_kb or 0) / 1024:.0f} MB)")
        lines.append(f"| {BACKEND_NAMES[backend]} | " + " | ".join(cells) + " |")
    lines.append("")

    # Plans
    lines += [
        "### Query plans",
        "",
        f"The main list, `{MAIN_LIST.path}`: the page query and the count query "
        "`app.queries.lists.documents_page` runs, as `EXPLAIN QUERY PLAN` (SQLite) and "
        "`EXPLAIN ANALYZE` (PostgreSQL, with its actual times).",
        "",
    ]
    for backend in report.backends:
        for size in sizes:
            got = report.run(backend, size)
            if got is None or MAIN_LIST.key not in got.plans:
                continue
            lines += [
                f"<details><summary>{BACKEND_NAMES[backend]}, {_n(size)}</summary>",
                "",
                "```",
                got.plans[MAIN_LIST.key],
                "```",
                "",
                "</details>",
                "",
            ]
    others = [
        (backend, item)
        for backend in report.backends
        for item in LISTS[1:]
        if (got := report.run(backend, largest)) is not None and item.key in got.plans
    ]
    if others:
        lines += [f"The other lists at {_n(largest)}:", ""]
        for backend, item in others:
            got = report.run(backend, largest)
            assert got is not None
            lines += [
                f"<details><summary>{BACKEND_NAMES[backend]}, {_n(largest)}: "
                f"<code>{item.path}</code></summary>",
                "",
                "```",
                got.plans[item.key],
                "```",
                "",
                "</details>",
                "",
            ]

    # Notes
    notes = list(report.notes)
    for entry in report.runs:
        notes += [f"{BACKEND_NAMES[entry.backend]} {_n(entry.size)}: {e}" for e in entry.errors]
    disturbed = [
        lat.disturbed
        for entry in report.runs
        for lat in entry.latency.values()
        if lat.disturbed > BUSY_CORES
    ] + [entry.load_disturbed for entry in report.runs if entry.load_disturbed > BUSY_CORES]
    if disturbed:
        notes.append(
            f"{DISTURBED} {len(disturbed)} measurement(s) were disturbed: other processes or the "
            f"hypervisor (steal time) took more than {BUSY_CORES} cores meanwhile (up to "
            f"{max(disturbed):.2f}), after waiting "
            f"up to {QUIET_WAIT_SECONDS} s for quiet. Their rates are likely too low and their "
            "latencies too high."
        )
    if notes:
        lines += ["### Notes", ""] + [f"- {n}" for n in notes] + [""]

    lines += [
        "### How it was measured",
        "",
        "- Per backend and size: a new empty database (SQLite: `bench/out/scale_<n>.db`, WAL; "
        "PostgreSQL: `bs_scale_<n>` on the server of BENCH_POSTGRES_URL or TEST_DATABASE_URL), "
        "removed afterwards. `bench/generate.py` migrates and loads it in its own process: "
        "Core `insert(table)` executemany (SQLite, synchronous=OFF for the load connection), "
        "COPY (PostgreSQL), then builds the documents; on PostgreSQL it then runs VACUUM "
        "ANALYZE, as autovacuum would soon after a load this size. SQLite gets no ANALYZE: "
        "nothing in the service runs one.",
        "- The service as deployed, one uvicorn worker, with RESPONSE_CACHE=false so every request "
        "runs the route and its queries:",
        "",
        "  ```",
        f"  {shlex.join(report.server_command)}",
        "  ```",
        "",
        f"- Per URL and size: one checked request, {report.warmup} uncounted, then "
        f"{report.requests} timed one after another from this process over one keep-alive "
        f"connection (httpx), each a full HTTP round trip on 127.0.0.1, in {ROUNDS} rounds: in "
        "each, every size's server is asked in turn (the order reversed every other round). "
        "Before each size's turn the script waits up to "
        f"{QUIET_WAIT_SECONDS} s for other processes to go quiet, and it measures the CPU they "
        "use meanwhile, and the hypervisor's steal time (from /proc; leaving out this script "
        "and its children, and for PostgreSQL the backends of its database and the server's "
        "background processes).",
        "- RSS: VmRSS from /proc/<pid>/status of the server after its requests.",
        *([f"- The whole run took {_minutes(report)}."] if report.finished else []),
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in machine(report)]
    lines += [
        f"| date | {report.started:%Y-%m-%d %H:%M:%S} UTC |",
        "",
        "### Command",
        "",
        "```sh",
        invocation(),
        "```",
        END_MARKER,
    ]
    return "\n".join(lines) + "\n"


def machine(report: Report) -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    rows = [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} ({usable} usable by this process)"),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("SQLite", sqlite3.sqlite_version),
    ]
    if report.postgres_version:
        rows.append(("PostgreSQL", report.postgres_version))
    rows.append(
        (
            "uvicorn, FastAPI, SQLAlchemy, SQLModel, psycopg",
            ", ".join(
                version(p) for p in ("uvicorn", "fastapi", "sqlalchemy", "sqlmodel", "psycopg")
            ),
        )
    )
    return rows


def invocation() -> str:
    env = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in ("BENCH_POSTGRES_URL", "TEST_DATABASE_URL")
        if os.environ.get(name)
    )
    python = os.path.relpath(sys.executable, PROJECT_ROOT)
    script = os.path.relpath(Path(__file__).resolve(), PROJECT_ROOT)
    return " ".join(x for x in (env, shlex.join([python, script, *sys.argv[1:]])) if x)


def write_section(section: str) -> None:
    """Replace the scale section of bench/results.md (or add it; or make the file)."""
    if not RESULTS_FILE.exists():
        RESULTS_FILE.write_text(section, encoding="utf-8")
        return
    previous = RESULTS_FILE.read_text(encoding="utf-8")
    start = previous.find(START_MARKER)
    if start < 0:
        RESULTS_FILE.write_text(previous.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        return
    end = previous.find(END_MARKER, start)
    # Without the end marker, everything from the start marker on is the scale section
    # (bench/run.py keeps that part of the file as it is).
    rest = previous[end + len(END_MARKER) :].lstrip("\n") if end >= 0 else ""
    updated = previous[:start] + section + ("\n" + rest if rest else "")
    RESULTS_FILE.write_text(updated, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Main


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Interrupted


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="crossings per dataset, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted requests per URL")
    parser.add_argument(
        "--matrix-requests",
        type=int,
        default=50,
        help="timed requests per URL of bench/matrix.py on the seed's store and the largest "
        "(default 50; 0 leaves the matrix out)",
    )
    parser.add_argument(
        "--backends",
        default=None,
        help="sqlite,postgresql (default: sqlite, and postgresql when BENCH_POSTGRES_URL or "
        "TEST_DATABASE_URL is set)",
    )
    parser.add_argument(
        "--fk-checks",
        choices=("rebuild", "row"),
        default="rebuild",
        help="passed to bench/generate.py for PostgreSQL (default rebuild: foreign keys and "
        "secondary indexes made again after the load; row: checked and indexed per row)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases (SQLite files, bs_scale_<n>)"
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: whole numbers, comma-separated")
    if not args.size_list or min(args.size_list) < 10:
        parser.error("--sizes: at least one size, each at least 10")
    if args.requests < 5:
        parser.error("--requests: at least 5")
    if args.backends is None:
        args.backend_list = ["sqlite"] + (["postgresql"] if postgres_server_url() else [])
    else:
        args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not set(args.backend_list) <= {"sqlite", "postgresql"}:
            parser.error("--backends: sqlite and/or postgresql")
        if "postgresql" in args.backend_list and not postgres_server_url():
            parser.error("--backends postgresql needs BENCH_POSTGRES_URL or TEST_DATABASE_URL")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    LOG_FILE.write_text("", encoding="utf-8")
    report = Report(
        started=datetime.now(UTC),
        sizes=args.size_list,
        backends=args.backend_list,
        requests=args.requests,
        warmup=args.warmup,
    )
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if "postgresql" in report.backends:
            try:
                with admin_engine(postgres_server_url()) as admin, admin.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar_one()
                    report.postgres_version = str(version).split(" ")[0]
            except Exception as exc:  # noqa: BLE001 - said in the notes, SQLite still runs
                report.notes.append(f"PostgreSQL skipped: cannot connect: {exc}")
                report.backends.remove("postgresql")
        for backend in report.backends:
            prepared: list[tuple[Database, Run]] = []
            try:
                for size in report.sizes:
                    database = database_for(backend, size)
                    prepared.append((database, prepare_one(database, args, report)))
                serve_side_by_side(backend, prepared, args, report)
            finally:
                if not args.keep:
                    for database, _run in prepared:
                        with suppress(Exception):
                            database.remove()
    except (KeyboardInterrupt, Interrupted):
        report.interrupted = True
        progress("interrupted: writing what was measured")
    finally:
        signal.signal(signal.SIGTERM, previous)
    report.finished = datetime.now(UTC)
    section = render(report)
    write_section(section)
    print(section)
    missed = [v for v in verdicts(report) if not v.met]
    failed = [e for r in report.runs for e in r.errors]
    return 1 if missed or failed or report.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
