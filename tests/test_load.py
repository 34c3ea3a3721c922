"""Reads and writes at once on SQLite: 64 connections read for 60 s while curators write at
10/s, against the real service under uvicorn.

wrk does the reading, as fast as the service answers, so the service's own CPU is the limit
(a Python client would be); a writer here sends a write every 0.1 s whether or not the last
one has answered. No answer is an error or a "database is locked"; every write that was
acknowledged reads back afterwards, through the API and in the file, and nothing else was
written. Each write empties the response cache, so the reads keep reaching the database while
writes commit. Throughput and latencies are measured and printed with the run's figures
(docs/reliability.md), not asserted.
"""

import asyncio
import itertools
import os
import re
import shutil
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bench.run import OK, parse_wrk
from tests import figures
from tests.server import Service, curated, seeded_sqlite
from tests.writes import FINLAND_CLOSED, NARVA_CLOSURE, auth, cite

pytestmark = pytest.mark.load

READERS = 64
READ_SECONDS = 60.0
WRITES_PER_SECOND = 10
# A request that takes longer than this has hung.
HANG_SECONDS = 15.0
READS = [
    "/v1/crossings?country=LV",
    "/crossings?country=FI",
    "/v1/crossings?country=FI&status=closed",
    "/v1/borders/NO-RU",
    "/v1/restrictions?country=NO",
    "/v1/search?q=narva",
    "/v1/events?country=FI",
    "/v1/countries/FI",
]
LUA = Path(__file__).with_name("load_reads.lua")


@dataclass
class Tally:
    write_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Acknowledged writes: crossing id -> the status it was left with.
    acknowledged: dict[str, str] = field(default_factory=dict)
    writes_acknowledged: int = 0
    writes_sent: int = 0


@pytest.fixture(scope="module")
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        reason = "wrk (Debian's wrk package) is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the load test: {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_sqlite(tmp_path_factory.mktemp("load") / "borderstatus.db")


@pytest.fixture(scope="module")
def service(store: Path) -> Iterator[Service]:
    with Service(curated(store), store.with_name("uvicorn.log")) as running:
        yield running


def problem_of(response: httpx.Response) -> str | None:
    """Why `response` is an error for a client, or None."""
    if "database is locked" in response.text or "database is busy" in response.text.lower():
        return f"{response.request.url.path}: {response.status_code} {response.text[:200]}"
    if response.status_code >= 400:
        return f"{response.request.url.path}: {response.status_code} {response.text[:200]}"
    return None


async def write(
    client: httpx.AsyncClient, n: int, created: list[tuple[str, str]], tally: Tally
) -> None:
    """Write n: even ones add a crossing, odd ones change the status of the one before (with
    the ETag its creation answered in If-Match: nothing else changes it in between)."""
    headers = {**auth(), "Idempotency-Key": str(uuid.uuid4())}
    if n % 2 == 0 or not created:
        method, url = "POST", "/v1/crossings"
        body = {
            "name": f"Load crossing {n}",
            "country": "FI",
            "neighbour": "RU",
            "status": "closed",
            "citations": cite(FINLAND_CLOSED),
        }
        status = "closed"
    else:
        crossing, etag = created.pop()
        method, url = "PATCH", f"/v1/crossings/{crossing}"
        headers["If-Match"] = etag
        body = {"status": "restricted", "citations": cite(NARVA_CLOSURE)}
        status = "restricted"
    tally.writes_sent += 1
    sent = time.monotonic()
    try:
        response = await client.request(method, url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        tally.errors.append(f"{method} {url}: {exc!r}")
        return
    tally.write_latencies.append(time.monotonic() - sent)
    if (problem := problem_of(response)) is not None:
        tally.errors.append(f"{method} {problem}")
        return
    crossing_id = response.json()["id"]
    tally.writes_acknowledged += 1
    tally.acknowledged[crossing_id] = status
    if method == "POST":
        created.append((crossing_id, response.headers["etag"]))


async def write_until(client: httpx.AsyncClient, stop: float, tally: Tally) -> None:
    """One write every 1/WRITES_PER_SECOND s, each on its own, whether or not the last one
    has answered yet."""
    created: list[tuple[str, str]] = []
    pending: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    for n in itertools.count():
        due = start + n / WRITES_PER_SECOND
        if due >= stop:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        task = asyncio.create_task(write(client, n, created, tally))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)


async def read_with_wrk(base_url: str) -> str:
    """wrk's report of READERS connections reading READS for READ_SECONDS."""
    command = [
        *("wrk", "-t1", f"-c{READERS}", f"-d{READ_SECONDS:.0f}s", "--latency"),
        *("--timeout", f"{HANG_SECONDS:.0f}s", "-s", str(LUA), base_url, "--", *READS),
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def run_load(base_url: str) -> tuple[Tally, str]:
    tally = Tally()
    limits = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=httpx.Timeout(HANG_SECONDS), limits=limits
    ) as writers:
        stop = time.monotonic() + READ_SECONDS
        report, _ = await asyncio.gather(read_with_wrk(base_url), write_until(writers, stop, tally))
    return tally, report


def test_64_readers_for_60_seconds_while_writes_run_at_10_per_second(
    wrk: str, service: Service, store: Path
) -> None:
    tally, report = asyncio.run(run_load(service.base_url))

    reads = parse_wrk(report, OK)
    locked = re.search(r"^wrk-locked (\d+)$", report, flags=re.MULTILINE)
    assert locked is not None, report
    writes = sorted(tally.write_latencies)
    summary = (
        f"load [sqlite, {READERS} connections reading for {READ_SECONDS:.0f} s (wrk), writes "
        f"at {WRITES_PER_SECOND}/s]: {reads.requests} reads ({reads.requests_per_second:.0f}/s), "
        f"p50 {reads.p50_ms:.1f} ms, p99 {reads.p99_ms:.1f} ms; {tally.writes_acknowledged} "
        f"writes acknowledged of {tally.writes_sent}, p50 {statistics.median(writes) * 1000:.0f} "
        f"ms, max {writes[-1] * 1000:.0f} ms; {len(tally.errors)} write errors, "
        f"{reads.problems or 'no'} read errors, {locked.group(1)} 'database is locked'"
    )
    print(summary)
    assert reads.problems == [], summary
    assert locked.group(1) == "0", summary
    assert tally.errors == [], f"{summary}: {tally.errors[:3]}"
    assert reads.requests > READ_SECONDS * 100, "the readers kept reading"
    assert tally.writes_sent == int(READ_SECONDS * WRITES_PER_SECOND)
    assert tally.writes_acknowledged == tally.writes_sent
    log = service.log()
    assert "database is locked" not in log
    assert "Traceback" not in log

    # Every acknowledged write reads back, through the API...
    with httpx.Client(base_url=service.base_url, timeout=HANG_SECONDS) as http:
        for crossing_id, status in tally.acknowledged.items():
            answer = http.get(f"/v1/crossings/{crossing_id}")
            assert answer.status_code == 200, crossing_id
            assert answer.json()["status"] == status, crossing_id

    # ... and in the file: one crossing and one audit entry per write, and no others.
    with sqlite3.connect(store) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM crossing WHERE name LIKE 'Load %'")]
        audited = db.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(ids) == sorted(tally.acknowledged)
    assert audited == tally.writes_acknowledged

    figures.record("load", summary + "; every write read back")
