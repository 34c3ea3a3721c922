"""Exports at scale: every crossing of a synthetic store (100,000 by default) as CSV and NDJSON.

1. Generates the dataset with bench/generate.py into bench/out/export_<n>.db (SQLite), or uses
   the empty database `--database-url` names; `--reuse` keeps a SQLite file made before.
2. In this process, through the app (raw ASGI, no server): the bytes and rows of each export,
   and the most memory Python held meanwhile (tracemalloc, after one export to warm up).
3. Over HTTP, the service as deployed (uvicorn, one worker, bench.scale.Server): the time to
   the first byte and to the last, rows/s and MB/s as a client reading the stream sees them,
   and the server's peak RSS (VmHWM) before and after the exports.

It prints a Markdown table; the figures in docs/performance.md come from it. It takes about
4 minutes at 100k on this machine, most of it generating the data.

    .venv/bin/python -m bench.export                     # 100k on SQLite
    .venv/bin/python -m bench.export --crossings 10000 --reuse
"""

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db.engine import make_engine
from app.main import create_app
from bench.generate import generate
from bench.scale import Server

OUT_DIR = Path(__file__).resolve().parent / "out"
EXPORTS = [
    ("CSV", "/v1/crossings", "format=csv"),
    ("NDJSON", "/v1/export.ndjson", "type=crossings"),
]


@dataclass
class InProcess:
    size: int
    lines: int
    peak: int


@dataclass
class OverHttp:
    first_byte: float
    seconds: float
    size: int
    lines: int


@dataclass
class Counted:
    """What a client reading the stream counts: bytes and lines, nothing kept."""

    size: int = 0
    lines: int = 0

    def __call__(self, body: bytes) -> None:
        self.size += len(body)
        self.lines += body.count(b"\n")


def asgi_export(app: Any, path: str, query: str, on_body: Callable[[bytes], None]) -> int:
    """GET through the ASGI app, each body message handed on as it comes; the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("bench", 80),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"bench")],
    }
    status = 0
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            on_body(message.get("body", b""))

    async def run() -> None:
        await app(scope, receive, send)

    anyio.run(run)
    return status


def in_process(url: str) -> list[InProcess]:
    engine = make_engine(url, pool_size=5)
    app = create_app(Settings(database_url=url), engine=engine)
    results = []
    try:
        for _name, path, query in EXPORTS:
            counted = Counted()
            asgi_export(app, path, query, lambda _body: None)  # warm up
            tracemalloc.start()
            try:
                status = asgi_export(app, path, query, counted)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert status == 200, (path, status)
            results.append(InProcess(counted.size, counted.lines, peak))
    finally:
        engine.dispose()
    return results


def over_http(url: str) -> tuple[list[OverHttp], tuple[int | None, int | None], int | None]:
    server = Server(url)
    try:
        server.wait_until_ready()
        before = server.memory_kb()
        results = []
        with httpx.Client(base_url=server.base_url, timeout=600) as client:
            for _name, path, query in EXPORTS:
                started = time.perf_counter()
                first: float | None = None
                size = lines = 0
                with client.stream("GET", f"{path}?{query}") as response:
                    response.raise_for_status()
                    for chunk in response.iter_raw():
                        if first is None:
                            first = time.perf_counter() - started
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                seconds = time.perf_counter() - started
                results.append(OverHttp(first or seconds, seconds, size, lines))
        return results, before, server.memory_kb()[1]
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--crossings", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database to load (default: SQLite)")
    parser.add_argument("--reuse", action="store_true", help="keep a SQLite file made before")
    args = parser.parse_args(argv)

    url = args.database_url
    fresh = True
    if url is None:
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / f"export_{args.crossings}.db"
        url = f"sqlite:///{path}"
        fresh = not (args.reuse and path.exists())
        if fresh:
            for leftover in OUT_DIR.glob(f"{path.name}*"):
                leftover.unlink()
    if fresh:
        started = time.perf_counter()
        generate(url, args.crossings, progress=lambda line: print(line, file=sys.stderr))
        print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    local = in_process(url)
    remote, (rss_before, hwm_before), hwm_after = over_http(url)
    print(f"{args.crossings:,} crossings, {make_url(url).get_backend_name()}\n")
    print(
        "| export | bytes | lines | first byte | whole | lines/s | MB/s "
        "| peak traced memory | server peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (name, _path, _query), mine, http in zip(EXPORTS, local, remote, strict=True):
        assert mine.lines == http.lines, (name, mine.lines, http.lines)
        print(
            f"| {name} | {http.size / 1e6:.1f} MB | {http.lines:,} "
            f"| {http.first_byte * 1000:.0f} ms | {http.seconds:.1f} s "
            f"| {http.lines / http.seconds:,.0f} "
            f"| {http.size / 1e6 / http.seconds:.1f} | {mine.peak / 1e6:.1f} MB "
            f"| {(hwm_after or 0) / 1024:.0f} MB |"
        )
    print(
        f"\nServer RSS when ready: {(rss_before or 0) / 1024:.0f} MB "
        f"(peak {(hwm_before or 0) / 1024:.0f} MB); peak after both exports: "
        f"{(hwm_after or 0) / 1024:.0f} MB."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
