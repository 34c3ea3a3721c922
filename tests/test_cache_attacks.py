"""Attacks on the response cache, against the real service under uvicorn: a request that makes
the cache keep one answer under another's key, and a flood of distinct request targets that
would have the cache hold more memory than its budget."""

import gc
import http.client
import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.media import prefers_csv
from tests.conftest import Databases
from tests.server import Service

CSV = "text/csv"
JSON = "application/json"
# Lists that answer JSON or CSV at the same URL, so the cache keeps one answer of each.
NEGOTIATED_URLS = ["/countries", "/borders", "/sources", "/crossings?limit=5"]

# The flood: distinct request targets of about 60 kB, each answered 200 by the application.
FLOOD_REQUESTS = 2000
FLOOD_TARGET_BYTES = 60_000
# A correct cache keeps next to nothing of such a flood; without the rules it keeps every
# target, about FLOOD_REQUESTS * FLOOD_TARGET_BYTES (120 MB), whatever its budget says.
FLOOD_RSS_GROWTH_BOUND = 40 * 1024 * 1024


@pytest.fixture(scope="module")
def service(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service under uvicorn on a seeded store of the backend under test."""
    engine = databases.seeded()
    url = engine.url.render_as_string(hide_password=False)
    log = tmp_path_factory.mktemp("cache-attacks") / "uvicorn.log"
    with Service({"DATABASE_URL": url}, log) as running:
        yield running
    databases.release(engine)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].partition(";")[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("prefix", "lines"),
    [("/v1", [CSV, JSON]), ("", [JSON, CSV])],
    ids=["csv-then-json", "json-then-csv"],
)
def test_repeated_accept_lines_never_get_another_clients_answer_kept(
    service: Service, prefix: str, lines: list[str]
) -> None:
    with httpx.Client(base_url=service.base_url, timeout=30) as http:
        for url in (prefix + path for path in NEGOTIATED_URLS):
            repeated = http.get(url, headers=[("Accept", line) for line in lines])
            combined = http.get(url, headers={"Accept": ", ".join(lines)})
            # Both field lines count, as one list: the answer is the one the list asks for.
            assert repeated.status_code == combined.status_code == 200, url
            assert media_type(repeated) == media_type(combined), url
            assert repeated.content == combined.content, url
            # And what was kept for it is what every other client is given.
            for wanted, expected in ((JSON, JSON), (CSV, CSV), ("*/*", JSON)):
                answer = http.get(url, headers={"Accept": wanted})
                assert media_type(answer) == expected, (url, wanted)
            assert media_type(http.get(url)) == JSON, url


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def flood_targets() -> Iterator[str]:
    """Distinct ~60 kB request targets that the application answers 200 to: a search, each
    with its own words, padded with empty `&` parts (which the routes skip)."""
    for n in itertools.count():
        yield f"/v1/search?q={n:08d}{'x' * 190}" + "&" * FLOOD_TARGET_BYTES


@pytest.mark.load
def test_a_flood_of_distinct_request_targets_leaves_the_memory_bounded(service: Service) -> None:
    assert service.process is not None
    pid = service.process.pid
    # http.client sends a target as it is given; httpx would take longer to parse each one
    # than the service takes to answer it.
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)

    def get(target: str) -> tuple[int, str]:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("content-type", "")

    targets = flood_targets()
    try:
        # The first answers allocate what the process keeps anyway (pools, arenas, memos).
        for target in itertools.islice(targets, 100):
            assert get(target)[0] == 200
        before = rss_bytes(pid)
        for target in itertools.islice(targets, FLOOD_REQUESTS):
            status, content_type = get(target)
            assert status == 200
            assert content_type.startswith(JSON)
        after = rss_bytes(pid)
    finally:
        connection.close()
    print(
        f"RSS before {before / 2**20:.1f} MiB, after {FLOOD_REQUESTS} requests of "
        f"{FLOOD_TARGET_BYTES // 1000} kB: {after / 2**20:.1f} MiB"
    )
    assert after - before < FLOOD_RSS_GROWTH_BOUND


@pytest.mark.slow
def test_long_accept_headers_are_ranked_but_not_remembered() -> None:
    # 300 distinct 4 kB headers, each made afresh as a request's would be: remembered, they
    # would hold over a megabyte.
    padding = "a/b, " * 800
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert all(prefers_csv(f"text/csv, a/b;n={n}, {padding}") for n in range(300))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 256 * 1024
