"""PostgreSQL stops under load: the service answers 503 problem+json at once (no hang, no 500)
and /readyz says so; once PostgreSQL is back the service recovers by itself, with nothing lost
and its data-version watcher still at work.

The real service runs under uvicorn in a subprocess, on a private PostgreSQL server this test
starts, stops (`pg_ctl stop -m immediate`) and starts again. The latencies and the time to
recover are measured and printed with the run's figures (docs/reliability.md); the test
itself only bounds them loosely, as a hang would break them.
"""

import itertools
import os
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.db.engine import make_engine
from app.db.migrations import migrate
from app.seed.sync import seed
from tests import figures
from tests.conftest import SEED_DIR, row_counts
from tests.pgserver import PrivatePostgres, server_binaries
from tests.server import Service, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.load]

# A request that takes longer than this has hung.
HANG_SECONDS = 10.0
# Recovery that takes longer than this has not happened by itself.
RECOVERY_DEADLINE = 30.0
LOAD_THREADS = 6
OUTAGE_SECONDS = 4.0
# Each of these misses the response cache (the counter makes every query string new, with
# parameters the endpoints know), so it reaches the database; CACHED is answered from memory
# once warm.
UNCACHED = [
    "/v1/crossings?country=LV&q=narva{n}",
    "/v1/restrictions?country=NO&q=visa{n}",
    "/v1/search?q=fence+w{n}",
    "/v1/fortifications?q=fence{n}",
    # An indexed list page: read on the event loop's own connections, not in a thread.
    "/v1/crossings?country={country}&limit={limit}",
]
COUNTRIES = ["NO", "FI", "EE", "LV", "LT", "PL"]


def uncached(n: int) -> str:
    """The n-th uncached URL: none repeats within 6 × 500 rounds of UNCACHED."""
    k = n // len(UNCACHED)
    return UNCACHED[n % len(UNCACHED)].format(
        n=n, country=COUNTRIES[k % len(COUNTRIES)], limit=1 + (k // len(COUNTRIES)) % 500
    )


CACHED = "/v1/countries/LV"
REFERENCE = ["/v1/crossings", "/v1/borders", "/v1/conflicts", "/v1/events", "/v1/sources"]


@dataclass(frozen=True)
class Sample:
    sent: float
    latency: float
    cached: bool
    status: int
    content_type: str
    retry_after: str | None


class Load:
    """Threads sending reads as fast as the service answers them, each answer recorded."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.samples: list[Sample] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run) for _ in range(LOAD_THREADS)]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=HANG_SECONDS) as client:
            while not self._stop.is_set():
                n = next(self._counter)
                cached = n % 6 == 0  # n % 5 picks among all of UNCACHED otherwise
                url = CACHED if cached else uncached(n)
                sent = time.monotonic()
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.failures.append(f"{url}: {exc!r}")
                    continue
                sample = Sample(
                    sent,
                    time.monotonic() - sent,
                    cached,
                    response.status_code,
                    response.headers.get("content-type", ""),
                    response.headers.get("retry-after"),
                )
                with self._lock:
                    self.samples.append(sample)

    def between(self, start: float, end: float, *, cached: bool) -> list[Sample]:
        with self._lock:
            return [s for s in self.samples if start <= s.sent < end and s.cached == cached]


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    binaries = server_binaries()
    if binaries is None:
        reason = "no PostgreSQL server binaries (Debian's postgresql package) installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the outage test: {reason}")
        pytest.skip(reason)
    server = PrivatePostgres(binaries)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def database(private_postgres: PrivatePostgres) -> Iterator[tuple[str, Engine]]:
    url = private_postgres.create_database("borderstatus")
    migrate(url)
    engine = make_engine(url, pool_size=2)
    seed(engine, SEED_DIR)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def service(
    database: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service under uvicorn, on the private server; its base URL."""
    url, _engine = database
    log = tmp_path_factory.mktemp("outage") / "uvicorn.log"
    with Service({"DATABASE_URL": url}, log) as running:
        yield running.base_url


def test_postgresql_stops_under_load_and_the_service_recovers_by_itself(
    private_postgres: PrivatePostgres, database: tuple[str, Engine], service: str
) -> None:
    _url, engine = database
    with httpx.Client(base_url=service, timeout=HANG_SECONDS) as http:
        run_outage(private_postgres, engine, http, service)


def run_outage(
    private_postgres: PrivatePostgres, engine: Engine, http: httpx.Client, service: str
) -> None:
    before = {url: http.get(url).content for url in REFERENCE}
    counts = row_counts(engine)
    assert http.get(CACHED).status_code == 200

    with Load(service) as load:
        time.sleep(2)
        private_postgres.stop("immediate")
        engine.dispose()
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS / 2)
        ready = http.get("/readyz")
        time.sleep(OUTAGE_SECONDS / 2)
        restarting = time.monotonic()
        private_postgres.start()
        back = time.monotonic()
        recovered_after = wait_for(
            lambda: any(s.status == 200 for s in load.between(back, 1e12, cached=False)),
            RECOVERY_DEADLINE,
        )
        steady = time.monotonic()
        time.sleep(2)
        end = time.monotonic()

    assert load.failures == [], load.failures[:5]
    assert all(s.status != 500 for s in load.samples)

    outage = load.between(down, restarting, cached=False)
    assert len(outage) > 50, "the load went on during the outage"
    assert {s.status for s in outage} == {503}
    assert all(s.content_type.startswith("application/problem+json") for s in outage)
    assert all(s.retry_after and int(s.retry_after) > 0 for s in outage)
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")

    # Answers already in the response cache are still served from memory.
    cached_in_outage = load.between(down, restarting, cached=True)
    assert cached_in_outage and {s.status for s in cached_in_outage} == {200}

    # Once one request got through, every later one does.
    after = load.between(steady, end, cached=False)
    assert after and {s.status for s in after} == {200}
    assert http.get("/readyz").status_code == 200

    # Nothing lost.
    assert {url: http.get(url).content for url in REFERENCE} == before
    assert row_counts(engine) == counts

    # The data-version watcher survived: a change made now empties the cache within its poll.
    cached_name = http.get(CACHED).json()["name"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE country SET name = 'Latvija' WHERE code = 'LV'"))
        conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
    try:
        wait_for(lambda: http.get(CACHED).json()["name"] == "Latvija", RECOVERY_DEADLINE)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE country SET name = :name WHERE code = 'LV'"), {"name": cached_name}
            )
            conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))

    latencies = [s.latency for s in outage]
    figures.record(
        "outage",
        f"outage [postgresql, {LOAD_THREADS} threads]: {len(outage)} requests during "
        f"{restarting - down:.1f} s down, all 503; latency max {max(latencies) * 1000:.0f} ms, "
        f"median {statistics.median(latencies) * 1000:.1f} ms; "
        f"{len(cached_in_outage)} cached answers 200; recovered {recovered_after:.2f} s after "
        f"PostgreSQL accepted connections; {len(load.samples)} requests in all, 0 failed",
    )
    assert max(latencies) < HANG_SECONDS
