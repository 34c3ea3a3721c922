"""The response cache: what it serves is what the application would answer, and a change to the
data shows in every worker within the poll interval, never to be answered stale afterwards."""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.types import Receive, Scope, Send

from app.cache import CacheStore, Entry, ResponseCache
from app.config import Settings
from app.data_version import DataVersion
from app.main import create_app
from app.seed.sync import seed
from tests.asgi import call, stream
from tests.conftest import SEED_DIR, Databases, client_for, writable_client
from tests.records_file import Records, edit_records, record
from tests.writes import close_narva, patch

URLS = [
    "/v1/crossings?country=LV",
    "/crossings?country=LV",
    "/v1/crossings?country=lv",
    "/v1/crossings?country=LV&limit=1",
    "/v1/borders/NO-RU",
    "/v1/restrictions?country=NO",
    "/v1/fortifications",
    "/v1/sources/002_6d3e1f3cc5a138b6.txt/sentences/3",
]


@pytest.fixture(scope="module")
def uncached(seeded_engine: Engine) -> TestClient:
    return client_for(seeded_engine, response_cache=False)


@pytest.mark.parametrize("url", URLS)
def test_a_cached_answer_is_the_answer_the_application_gives(
    client: TestClient, uncached: TestClient, url: str
) -> None:
    first = client.get(url)
    cached = client.get(url)
    fresh = uncached.get(url)
    assert cached.status_code == fresh.status_code == 200
    assert cached.content == first.content == fresh.content
    for header in ("etag", "cache-control", "content-type", "content-length"):
        assert cached.headers[header] == fresh.headers[header], header


def test_no_query_string_gets_another_querys_answer(
    client: TestClient, uncached: TestClient
) -> None:
    for url in URLS:
        client.get(url)
    for url in reversed(URLS):
        assert client.get(url).content == uncached.get(url).content, url


def test_cors_headers_follow_the_origin_of_each_request(client: TestClient) -> None:
    url = "/v1/crossings?country=EE"
    plain = client.get(url)
    assert "access-control-allow-origin" not in plain.headers
    browser = client.get(url, headers={"Origin": "https://map.example.org"})
    assert browser.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in browser.headers
    assert "access-control-allow-origin" not in client.get(url).headers


def test_a_304_from_the_cache_keeps_the_etag_and_cors(client: TestClient) -> None:
    url = "/v1/borders/NO-RU"
    headers = {"Origin": "https://map.example.org"}
    etag = client.get(url, headers=headers).headers["etag"]
    response = client.get(url, headers={**headers, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["access-control-allow-origin"] == "*"


def test_errors_are_not_cached(client: TestClient) -> None:
    for _ in range(2):
        response = client.get("/v1/crossings?country=XX")
        assert response.status_code == 422
        assert response.headers["cache-control"] == "no-store"
        assert "etag" not in response.headers


def test_an_answer_computed_across_an_invalidation_is_not_kept() -> None:
    store = CacheStore(enabled=True, max_bytes=1 << 20)
    entry = Entry(headers=[], not_modified_headers=[], body=b"old", etag=b'"x"')
    generation = store.generation
    store.invalidate()
    store.store(("/v1/crossings", b"", False, False), entry, generation)
    assert store.entries == {}


def test_the_cache_stays_within_its_size() -> None:
    store = CacheStore(enabled=True, max_bytes=64 * 4096)
    for n in range(200):
        entry = Entry(headers=[], not_modified_headers=[], body=b"x" * 1000, etag=b'"x"')
        store.store((f"/{n}", b"", False, False), entry, store.generation)
        assert store.size <= store.max_bytes
        assert (f"/{n}", b"", False, False) in store.entries  # the newest answer is kept
    store.store(("/big", b"", False, False), Entry([], [], b"x" * 5000, b'"y"'), store.generation)
    assert ("/big", b"", False, False) not in store.entries


def test_keys_and_headers_count_against_the_cache_size() -> None:
    store = CacheStore(enabled=True, max_bytes=1 << 20)
    headers = [(b"x-padding", b"v" * 1000)]
    for n in range(1000):
        key = ("/v1/search", b"q=%d&pad=" % n + b"p" * 3000, False, False)
        store.store(key, Entry(headers, headers, b"{}", b'"x"'), store.generation)
    held = sum(
        len(path) + len(query) + sum(len(k) + len(v) for k, v in entry.headers) + len(entry.body)
        for (path, query, _origin, _csv), entry in store.entries.items()
    )
    assert 0 < held <= store.max_bytes


def test_the_cache_keeps_at_most_its_number_of_answers_the_newest() -> None:
    store = CacheStore(enabled=True, max_bytes=1 << 30, max_entries=10)
    for n in range(50):
        entry = Entry(headers=[], not_modified_headers=[], body=b"{}", etag=b'"x"')
        store.store((f"/{n}", b"", False, False), entry, store.generation)
    assert list(store.entries) == [(f"/{n}", b"", False, False) for n in range(40, 50)]


@pytest.mark.parametrize(
    "query",
    [
        b"q=a&q=b",
        b"q=a&%71=b",
        b"q=a&limit=5&q=a",
        b"q=a&",
        b"&q=a",
        b"q=a&&limit=5",
        b"q=" + b"a" * 5000,
    ],
)
def test_an_answer_to_a_query_string_spelt_unusually_is_not_kept(query: bytes) -> None:
    store = CacheStore(enabled=True, max_bytes=1 << 20)
    entry = Entry(headers=[], not_modified_headers=[], body=b"{}", etag=b'"x"')
    store.store(("/v1/search", query, False, False), entry, store.generation)
    store.store(("/v1/search", b"q=a&limit=5", False, False), entry, store.generation)
    assert list(store.entries) == [("/v1/search", b"q=a&limit=5", False, False)]


def test_a_repeated_parameter_is_refused_and_not_kept(client: TestClient) -> None:
    store: CacheStore = client.app.state.cache  # type: ignore[attr-defined]
    assert client.get("/v1/countries?format=json").status_code == 200
    for _ in range(2):
        repeated = client.get("/v1/countries?format=csv&format=json")
        assert repeated.status_code == 422
        assert "more than once" in repeated.json()["detail"]
    kept = {query for path, query, _origin, _csv in store.entries if path == "/v1/countries"}
    assert b"format=json" in kept
    assert b"format=csv&format=json" not in kept


def test_if_none_match_on_several_lines_is_read_as_one_list(client: TestClient) -> None:
    url = "/v1/borders/NO-RU"
    etag = client.get(url).headers["etag"]
    for lines in ([etag, '"other"'], ['"other"', etag]):
        response = client.get(url, headers=[("If-None-Match", line) for line in lines])
        assert response.status_code == 304, lines
        assert response.headers["etag"] == etag
    stale = client.get(url, headers=[("If-None-Match", '"a"'), ("If-None-Match", '"b"')])
    assert stale.status_code == 200


def test_memo_is_not_kept_across_an_invalidation() -> None:
    store = CacheStore(enabled=False, max_bytes=1)

    def compute() -> int:
        store.invalidate()  # the data changed while this was being read
        return 1

    assert store.remember("codes", compute) == 1
    assert "codes" not in store.memo
    assert store.remember("codes", lambda: 2) == 2
    assert store.remember("codes", lambda: 3) == 2


# --- freshness ------------------------------------------------------------------------------


@pytest.fixture
def watched(
    databases: Databases, seed_copy: Path
) -> Iterator[tuple[TestClient, Engine, Callable[[], None]]]:
    """A running app (its version watcher polling every 50 ms) on a database of its own, the
    engine of 'another process' that writes to it, and the way to seed an edited copy."""
    url, writer = databases.migrated()
    seed(writer, SEED_DIR)
    settings = Settings(database_url=url, data_version_poll_seconds=0.05)

    def reseed() -> None:
        seed(writer, seed_copy)

    with TestClient(create_app(settings)) as client:
        yield client, writer, reseed


def reopen_vientuli(records: Records) -> None:
    record(records, "crossings", "vientuli")["status"] = "open"


@pytest.mark.slow
def test_a_change_by_another_process_shows_within_a_second_and_never_goes_stale(
    watched: tuple[TestClient, Engine, Callable[[], None]], seed_copy: Path
) -> None:
    client, _writer, reseed = watched
    url = "/v1/crossings?q=Vientuli"
    before = client.get(url)
    assert before.json()["data"][0]["status"] == "closed"
    assert client.get(url).content == before.content  # now served from the cache

    edit_records(seed_copy, reopen_vientuli)
    reseed()
    changed_at = time.monotonic()
    while client.get(url).content == before.content:
        assert time.monotonic() - changed_at < 1.0, "still stale after a second"
        time.sleep(0.01)
    after = client.get(url)
    assert after.json()["data"][0]["status"] == "open"
    assert after.headers["etag"] != before.headers["etag"]
    for _ in range(20):
        assert client.get(url).content == after.content
    old = client.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert old.status_code == 200


@pytest.mark.slow
def test_the_worker_that_reads_the_new_version_drops_every_cached_answer(
    watched: tuple[TestClient, Engine, Callable[[], None]], seed_copy: Path
) -> None:
    client, _writer, reseed = watched
    for url in URLS:
        client.get(url)
    store: CacheStore = client.app.state.cache  # type: ignore[attr-defined]
    assert store.entries
    edit_records(seed_copy, reopen_vientuli)
    reseed()
    client.app.state.data_version.poll()  # type: ignore[attr-defined]
    # The invalidation runs on the event loop; one request later it has.
    client.get("/healthz")
    assert not [key for key in store.entries if key[0] != "/healthz"]


def test_with_the_cache_off_every_request_reads_the_database(
    uncached: TestClient, seeded_engine: Engine, count_queries: Callable[[], int]
) -> None:
    url = "/v1/crossings?country=NO"
    uncached.get(url)
    before = count_queries()
    for _ in range(3):
        assert uncached.get(url).status_code == 200
    assert count_queries() - before >= 3


def test_an_answer_marked_private_is_passed_on_and_never_kept() -> None:
    calls: list[str] = []

    async def private_app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"cache-control", b"private, no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b"secret"})

    store = CacheStore(enabled=True, max_bytes=1 << 20)
    client = TestClient(ResponseCache(private_app, store=store, max_age=5))

    first, second = client.get("/v1/audit"), client.get("/v1/audit")

    assert first.content == second.content == b"secret"
    assert calls == ["/v1/audit", "/v1/audit"]
    assert first.headers["cache-control"] == "private, no-store"
    assert "etag" not in first.headers
    assert store.entries == {}


@pytest.mark.slow
def test_a_curators_write_in_one_worker_shows_in_another(seeded_fresh_engine: Engine) -> None:
    url = str(seeded_fresh_engine.url)
    other = create_app(Settings(database_url=url, data_version_poll_seconds=3600))
    with writable_client(seeded_fresh_engine) as writer, TestClient(other) as reader:
        before = reader.get("/v1/crossings?country=EE")
        assert reader.get("/v1/crossings?country=EE").content == before.content  # cached

        assert patch(writer, "/v1/crossings/narva", close_narva()).is_success
        reader.app.state.data_version.poll()  # type: ignore[attr-defined]
        reader.get("/healthz")  # the invalidation runs on the reader's event loop

        statuses = {
            c["id"]: c["status"] for c in reader.get("/v1/crossings?country=EE").json()["data"]
        }
    assert statuses["narva"] == "closed"


def test_the_data_version_watcher_outlives_a_database_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    readings: list[int | Exception] = [1, OSError("down"), OSError("down"), OSError("down"), 2]
    changes: list[int | None] = []

    def read() -> int | None:
        value = readings.pop(0)
        if isinstance(value, Exception):
            raise value
        return value

    watcher = DataVersion(read, interval=60, clock=lambda: dt.date(2026, 12, 4))
    watcher.on_change(lambda: changes.append(watcher.value))
    for _ in range(5):
        watcher.poll()
    assert changes == [1, 2]
    warnings = [r.getMessage() for r in caplog.records if r.name == "borderstatus.cache"]
    assert warnings == [
        "could not read the data version: down",
        "the data version is readable again",
    ]


def test_an_answer_completed_before_a_clean_up_failed_is_still_sent() -> None:
    """As the framework would send it without the cache (it took the answer as sent)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})
        raise RuntimeError("the session's rollback failed on a lost connection")

    store = CacheStore(enabled=True, max_bytes=1 << 20)
    answer = call(ResponseCache(app, store=store, max_age=5), "GET", "/v1/borders")
    assert answer.status == 200
    assert answer.body == b'{"ok":true}'
    assert store.entries == {}, "not kept"


def test_an_app_failing_before_it_answered_still_fails() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    store = CacheStore(enabled=True, max_bytes=1 << 20)
    with pytest.raises(RuntimeError):
        call(ResponseCache(app, store=store, max_age=5), "GET", "/v1/borders")


# --- streamed answers ------------------------------------------------------------------------


def streaming_app(produced: list[int], *, chunks: int = 100) -> Any:
    """An export-like app: a `no-store` 200 sent in chunks, noting each one it produced."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/x-ndjson"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for n in range(chunks):
            produced.append(n)
            await send({"type": "http.response.body", "body": b"%d\n" % n, "more_body": True})
            await anyio.sleep(0)
        await send({"type": "http.response.body", "body": b""})

    return app


def test_a_streamed_answer_reaches_the_client_as_it_is_made_and_is_not_kept() -> None:
    produced: list[int] = []
    store = CacheStore(enabled=True, max_bytes=1 << 20)
    cache = ResponseCache(streaming_app(produced), store=store, max_age=5)
    made_before_each_chunk: list[int] = []

    answer = stream(
        cache, "/v1/export.ndjson", on_body=lambda _b: made_before_each_chunk.append(len(produced))
    )

    assert answer.status == 200
    assert made_before_each_chunk[:3] == [1, 2, 3], "each chunk passed on before the next is made"
    assert answer.size == len(b"".join(b"%d\n" % n for n in range(100)))
    assert "etag" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    assert store.entries == {}


def test_a_head_of_a_streamed_answer_stops_the_application_after_the_headers() -> None:
    produced: list[int] = []
    store = CacheStore(enabled=True, max_bytes=1 << 20)
    cache = ResponseCache(streaming_app(produced), store=store, max_age=5)

    answer = stream(cache, "/v1/export.ndjson", method="HEAD")

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    assert answer.size == 0
    assert len(produced) <= 1, f"the app went on to make {len(produced)} chunks"


# --- one computation per answer --------------------------------------------------------------


def gated_app(calls: list[bytes], gate: anyio.Event, *, status: int = 200) -> Any:
    """An app that notes each request's query string and answers once `gate` is set."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["query_string"])
        n = len(calls)
        await gate.wait()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"answer": %d}' % n})

    return app


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until `condition()` holds, and then a little longer."""
    with anyio.fail_after(5):
        while not condition():
            await anyio.sleep(0.001)
    for _ in range(50):
        await anyio.sleep(0)


def test_requests_for_an_answer_being_computed_wait_for_it_instead_of_computing_it_again() -> None:
    calls: list[bytes] = []
    store = CacheStore(enabled=True, max_bytes=1 << 20)

    async def main() -> list[httpx.Response]:
        gate = anyio.Event()
        cache = ResponseCache(gated_app(calls, gate), store=store, max_age=5)
        answers: list[httpx.Response] = []
        transport = httpx.ASGITransport(app=cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def get(url: str) -> None:
                answers.append(await http.get(url))

            async with anyio.create_task_group() as tasks:
                for _ in range(10):
                    tasks.start_soon(get, "/v1/crossings?country=LV")
                tasks.start_soon(get, "/v1/crossings?country=EE")
                await until(lambda: len(calls) == 2)
                gate.set()
        return answers

    answers = anyio.run(main)
    assert sorted(calls) == [b"country=EE", b"country=LV"]
    by_url = {str(a.url): a for a in answers}
    lv = [a for a in answers if a.url == by_url["http://test/v1/crossings?country=LV"].url]
    assert len(lv) == 10 and {a.content for a in lv} == {lv[0].content}
    assert all(a.status_code == 200 and a.headers["etag"] for a in answers)
    assert by_url["http://test/v1/crossings?country=EE"].content != lv[0].content


@pytest.mark.parametrize("writes", [1, 5])
def test_a_request_after_a_write_never_joins_a_computation_begun_before_it(writes: int) -> None:
    """It waits for that one to end, then shares one computation with every request that came
    meanwhile. A burst of writes while an answer is slow to compute (a busy machine) costs one
    computation more, not one more per write running beside the others."""
    calls: list[bytes] = []
    store = CacheStore(enabled=True, max_bytes=1 << 20)

    async def main() -> tuple[dict[str, bytes], int]:
        gate = anyio.Event()
        cache = ResponseCache(gated_app(calls, gate), store=store, max_age=5)
        found: dict[str, bytes] = {}
        transport = httpx.ASGITransport(app=cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def get(name: str) -> None:
                found[name] = (await http.get("/v1/crossings?country=LV")).content

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(get, "before")
                await until(lambda: len(calls) == 1)
                for n in range(writes):
                    store.invalidate()  # a write committed
                    tasks.start_soon(get, f"after write {n}")
                    await until(lambda: True)
                running = len(calls)
                gate.set()
            found["later"] = (await http.get("/v1/crossings?country=LV")).content
        return found, running

    found, running = anyio.run(main)
    assert running == 1, "a second computation began while the first was running"
    assert found["before"] == b'{"answer": 1}'
    assert {found[f"after write {n}"] for n in range(writes)} == {b'{"answer": 2}'}
    assert found["later"] == b'{"answer": 2}'
    assert len(calls) == 2, "the later request was answered from the cache"


def test_requests_waiting_on_an_error_each_get_an_answer_of_their_own() -> None:
    calls: list[bytes] = []
    store = CacheStore(enabled=True, max_bytes=1 << 20)

    async def main() -> list[int]:
        gate = anyio.Event()
        cache = ResponseCache(gated_app(calls, gate, status=503), store=store, max_age=5)
        statuses: list[int] = []
        transport = httpx.ASGITransport(app=cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def get() -> None:
                statuses.append((await http.get("/v1/crossings?country=LV")).status_code)

            async with anyio.create_task_group() as tasks:
                for _ in range(3):
                    tasks.start_soon(get)
                await until(lambda: len(calls) == 1)
                gate.set()
        return statuses

    assert anyio.run(main) == [503, 503, 503]
    assert len(calls) == 3, "an error is not shared: each waiter asked the application"
    assert store.entries == {}


@pytest.mark.slow
def test_the_writers_own_write_empties_its_cache_once_and_another_workers_still_does(
    seeded_fresh_engine: Engine,
) -> None:
    url = "/v1/crossings?country=EE"
    settings: dict[str, Any] = {"data_version_poll_seconds": 3600}
    other = writable_client(seeded_fresh_engine, **settings)
    with writable_client(seeded_fresh_engine, **settings) as writer, other:
        store: CacheStore = writer.app.state.cache  # type: ignore[attr-defined]
        watcher: DataVersion = writer.app.state.data_version  # type: ignore[attr-defined]
        assert patch(writer, "/v1/crossings/narva", close_narva()).is_success
        closed = writer.get(url)
        assert {c["id"]: c["status"] for c in closed.json()["data"]}["narva"] == "closed"

        watcher.poll()  # reads the version this worker wrote
        writer.get("/healthz")
        assert any(key[0] == "/v1/crossings" for key in store.entries), "still cached"

        reopen = {"status": "open", "notes": "Open again.", "citations": close_narva()["citations"]}
        assert patch(other, "/v1/crossings/narva", reopen).is_success
        watcher.poll()  # reads the version the other worker wrote
        writer.get("/healthz")
        assert not any(key[0] == "/v1/crossings" for key in store.entries)
        statuses = {c["id"]: c["status"] for c in writer.get(url).json()["data"]}
    assert statuses["narva"] == "open"
