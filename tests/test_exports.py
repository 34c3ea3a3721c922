"""Exports stream: on a synthetic store of 10,000 crossings (bench/generate.py), every crossing
goes out as CSV and as NDJSON through the app, the first bytes leave before the last record is
read, and the memory an export holds stays the same whatever the size of the list."""

import csv
import io
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from app import exports
from app.config import Settings
from app.db.engine import make_engine
from app.main import create_app
from app.queries import lists
from bench.generate import generate
from tests import figures
from tests.asgi import stream
from tests.conftest import Databases

pytestmark = pytest.mark.slow

CROSSINGS = 10_000
# What an export may hold at once, whatever its size: a few batches of documents.
MEMORY_BOUND = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def synthetic(databases: Databases) -> Iterator[Engine]:
    """A store of 10,000 crossings, their events and restrictions (about 20 s to make),
    released when the module's tests are done."""
    url = databases.new_url()
    generate(url, CROSSINGS)
    engine = make_engine(url, pool_size=5)
    databases.engines.append(engine)
    yield engine
    databases.release(engine)


@pytest.fixture(scope="module")
def app(synthetic: Engine) -> ASGIApp:
    settings = Settings(database_url=synthetic.url.render_as_string(hide_password=False))
    return create_app(settings, engine=synthetic)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many rows each batch read of stored documents returned, as it happens."""
    counted: list[int] = []
    read = lists.documents_after

    def counting(*args: Any, **kwargs: Any) -> list[tuple[str, str | None]]:
        rows = read(*args, **kwargs)
        counted.append(len(rows))
        return rows

    monkeypatch.setattr(exports, "documents_after", counting)
    yield counted


@dataclass
class Export:
    status: int
    headers: dict[str, str]
    size: int
    rows: int
    first_citations: int
    reads_before_first_byte: int
    peak: int
    seconds: float


def export(app: ASGIApp, path: str, query: str, reads: list[int], *, csv_rows: bool) -> Export:
    """Export through the app, counting the rows as a client reading the stream would, and
    measuring the most memory the process held meanwhile."""
    counts = {"rows": 0, "first": 0}
    reads_at_first: list[int] = []
    citation = -1

    def on_body(body: bytes) -> None:
        nonlocal citation
        if body and not reads_at_first:
            reads_at_first.append(len(reads))
        if csv_rows:
            # Every chunk ends at the end of a row.
            for row in csv.reader(io.StringIO(body.decode())):
                if citation < 0:
                    citation = row.index("citation")
                counts["rows"] += 1
                counts["first"] += row[citation] == "1"
        else:
            counts["rows"] += body.count(b"\n")
            counts["first"] += body.count(b'{"type":"crossing",')

    reads.clear()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        answer = stream(app, path, query_string=query.encode(), on_body=on_body)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return Export(
        answer.status,
        answer.headers,
        answer.size,
        counts["rows"],
        counts["first"],
        reads_at_first[0] if reads_at_first else -1,
        peak,
        seconds,
    )


def citations_of_crossings(engine: Engine, country: str | None = None) -> int:
    where = "" if country is None else "AND c.country = :country"
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM citation t JOIN crossing c ON c.id = t.record_id "
                    f"WHERE t.record_type = 'crossing' {where}"
                ),
                {"country": country},
            ).scalar_one()
        )


def test_every_crossing_streams_as_csv_in_bounded_memory(
    app: ASGIApp, synthetic: Engine, reads: list[int], backend: str
) -> None:
    export(app, "/v1/crossings", "format=csv&country=NO", reads, csv_rows=True)  # warm up
    some = export(app, "/v1/crossings", "format=csv&country=NO", reads, csv_rows=True)
    every = export(app, "/v1/crossings", "format=csv", reads, csv_rows=True)

    assert every.status == 200
    assert every.headers["content-type"] == "text/csv; charset=utf-8"
    assert every.rows == 1 + citations_of_crossings(synthetic), "a header and a row per citation"
    assert every.first_citations == CROSSINGS, "every crossing"
    assert some.rows == 1 + citations_of_crossings(synthetic, "NO")
    # The first rows go out after the first batch is read, long before the last.
    assert every.reads_before_first_byte == 1
    assert len(reads) > 20 and sum(reads) == CROSSINGS
    # Memory: far below what was sent, and no more for 10,000 crossings than for 1,400.
    assert every.peak < MEMORY_BOUND < every.size / 2
    assert every.peak < some.peak + 1024 * 1024
    figures.record(
        f"export csv {backend}",
        f"export [{backend}]: {CROSSINGS:,} crossings as CSV, {every.rows:,} rows, "
        f"{every.size / 1e6:.1f} MB in {every.seconds:.1f} s (traced), peak memory "
        f"{every.peak / 1e6:.1f} MB ({some.peak / 1e6:.1f} MB for {some.first_citations:,})",
    )


def test_every_crossing_streams_as_ndjson_in_bounded_memory(
    app: ASGIApp, reads: list[int], backend: str
) -> None:
    export(app, "/v1/export.ndjson", "type=crossings", reads, csv_rows=False)  # warm up
    every = export(app, "/v1/export.ndjson", "type=crossings", reads, csv_rows=False)

    assert every.status == 200
    assert every.headers["content-type"] == "application/x-ndjson"
    assert every.rows == every.first_citations == CROSSINGS
    assert every.reads_before_first_byte <= 2 < len(reads)
    assert sum(reads) == CROSSINGS
    assert every.peak < MEMORY_BOUND < every.size / 2
    figures.record(
        f"export ndjson {backend}",
        f"export [{backend}]: {CROSSINGS:,} crossings as NDJSON, {every.size / 1e6:.1f} MB in "
        f"{every.seconds:.1f} s (traced), peak memory {every.peak / 1e6:.1f} MB",
    )


def test_a_head_of_the_export_reads_no_more_than_its_first_batches(
    app: ASGIApp, reads: list[int]
) -> None:
    answer = stream(app, "/v1/export.ndjson", query_string=b"type=crossings", method="HEAD")

    assert answer.status == 200
    assert answer.size == 0
    assert len(reads) <= 2
