"""The service killed with SIGKILL in the middle of a stream of writes, 20 times, on SQLite.

After each kill, every write that was acknowledged is in the file, `PRAGMA integrity_check` is
ok, and nothing is there twice. The writes that got no answer (in flight at the kill) are sent
again, with the same Idempotency-Key, to the service started anew: each is then there exactly
once, whether or not its first attempt had committed.
"""

import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests import figures
from tests.server import Service, curated, seeded_sqlite
from tests.writes import FINLAND_CLOSED, auth, cite

pytestmark = pytest.mark.fault

KILLS = 20
WRITERS = 4


@dataclass(frozen=True)
class Write:
    key: str
    name: str

    def send(self, http: httpx.Client) -> httpx.Response:
        body = {
            "name": self.name,
            "country": "FI",
            "neighbour": "RU",
            "status": "closed",
            "citations": cite(FINLAND_CLOSED),
        }
        return http.post(
            "/v1/crossings", json=body, headers={**auth(), "Idempotency-Key": self.key}
        )


@dataclass
class Stream:
    """Writers sending new crossings until the service dies under them."""

    base_url: str
    round: int
    acknowledged: list[Write] = field(default_factory=list)
    unanswered: list[Write] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: int = 0

    def next_write(self) -> Write:
        with self._lock:
            self._count += 1
            return Write(str(uuid.uuid4()), f"Crash {self.round} {self._count}")

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            while True:
                write = self.next_write()
                try:
                    response = write.send(http)
                except httpx.TransportError:
                    with self._lock:
                        self.unanswered.append(write)
                    return
                with self._lock:
                    if response.status_code == 201:
                        self.acknowledged.append(write)
                    else:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_sqlite(tmp_path_factory.mktemp("crash") / "borderstatus.db")


def service_on(store: Path) -> Service:
    return Service(curated(store), store.with_name("uvicorn.log"))


def crash_state(store: Path) -> tuple[str, dict[str, int], dict[str, int]]:
    """The integrity check, and how often each crash crossing and its audit entry are there."""
    with sqlite3.connect(store) as db:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        names = dict(
            db.execute(
                "SELECT name, count(*) FROM crossing WHERE name LIKE 'Crash %' GROUP BY name"
            ).fetchall()
        )
        audited = dict(
            db.execute(
                "SELECT c.name, count(*) FROM audit_entry a JOIN crossing c ON c.id = a.record_id"
                " WHERE a.record_type = 'crossing' AND c.name LIKE 'Crash %' GROUP BY c.name"
            ).fetchall()
        )
    db.close()
    return check, names, audited


@pytest.fixture(scope="module")
def stream_of_kills(
    store: Path,
) -> Iterator[tuple[list[Write], list[int], list[Write], list[str]]]:
    """KILLS rounds of: start, retry what had no answer, write until killed at a random moment.

    Yields every acknowledged write, how many writes each kill left unanswered, the last
    kill's unanswered writes, and any failures (non-201 answers)."""
    rng = random.Random(20261201)
    acknowledged: list[Write] = []
    in_flight_at_kill: list[int] = []
    committed_unanswered: list[int] = []
    failures: list[str] = []
    unanswered: list[Write] = []
    for round_ in range(KILLS):
        service = service_on(store).start()
        try:
            with httpx.Client(base_url=service.base_url, timeout=10) as http:
                for write in unanswered:
                    retried = write.send(http)
                    assert retried.status_code == 201, retried.text
                    acknowledged.append(write)
            stream = Stream(service.base_url, round_)
            threads = [threading.Thread(target=stream.run) for _ in range(WRITERS)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.3, 1.2))
            service.kill()
            for thread in threads:
                thread.join(timeout=15)
        finally:
            service.stop()
        acknowledged += stream.acknowledged
        failures += stream.failures
        unanswered = stream.unanswered
        in_flight_at_kill.append(len(unanswered))

        check, names, audited = crash_state(store)
        assert check == "ok", f"after kill {round_ + 1}"
        missing = [w.name for w in acknowledged if w.name not in names]
        assert missing == [], f"acknowledged, then lost at kill {round_ + 1}: {missing[:5]}"
        assert {n for n, count in names.items() if count > 1} == set(), "no crossing twice"
        assert {n for n, count in audited.items() if count > 1} == set(), "no audit entry twice"
        sent = {w.name for w in acknowledged} | {w.name for w in unanswered}
        assert set(names) <= sent, "nothing was written that was not sent"
        committed_unanswered.append(sum(1 for w in unanswered if w.name in names))
    figures.record(
        "crash-retries",
        f"crash [sqlite]: {sum(committed_unanswered)} of the writes in flight had committed "
        "before the kill; their retries got the first answer again, not a second crossing",
    )
    yield acknowledged, in_flight_at_kill, unanswered, failures


def test_every_acknowledged_write_survives_20_kills_and_the_file_stays_whole(
    stream_of_kills: tuple[list[Write], list[int], list[Write], list[str]], store: Path
) -> None:
    acknowledged, in_flight, unanswered, failures = stream_of_kills
    assert failures == [], failures[:3]
    assert len(acknowledged) > KILLS * 5, "the writers wrote between the kills"
    assert sum(1 for n in in_flight if n) >= KILLS // 2, "most kills hit writes in flight"

    # The last kill's unanswered writes, retried once more, and everything read back.
    served: set[str] = set()
    with service_on(store) as service, httpx.Client(base_url=service.base_url) as http:
        for write in unanswered:
            retried = write.send(http)
            assert retried.status_code == 201, retried.text
            acknowledged.append(write)
        params = {"country": "FI", "limit": "500"}
        while True:
            page = http.get("/v1/crossings", params=params).json()
            served |= {c["name"] for c in page["data"]}
            if page["meta"]["next"] is None:
                break
            params["cursor"] = page["meta"]["next"]
    assert {w.name for w in acknowledged} <= served

    check, names, audited = crash_state(store)
    assert check == "ok"
    assert set(names) == {w.name for w in acknowledged}
    assert set(names.values()) == set(audited.values()) == {1}
    figures.record(
        "crash",
        f"crash [sqlite, kill -9 x{KILLS} during {WRITERS} write streams]: "
        f"{len(acknowledged)} writes acknowledged, all present after every kill; "
        f"{sum(in_flight)} writes in flight at the kills ({sum(1 for n in in_flight if n)} of "
        f"{KILLS} kills hit one), each there once after its retry with the same "
        f"Idempotency-Key; integrity_check ok every time; 0 duplicates",
    )
