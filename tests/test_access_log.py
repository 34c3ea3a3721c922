"""The access log: a structured line per request, on by default, written by a thread of its
own so that a slow log never holds up an answer; off with ACCESS_LOG=false."""

import io
import json
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.access_log import AccessWriter
from app.config import Settings
from app.main import create_app
from tests.server import Service, seeded_sqlite


def test_a_line_says_what_was_asked_and_answered() -> None:
    odd = (0.0, "GET", "/v1/search", b'q=%22a"b\\', 422, 9, 0.0, "::1")
    assert json.loads(AccessWriter("json").line(odd))["path"] == '/v1/search?q=%22a"b\\'

    entry = (0.0, "GET", "/v1/crossings", b"country=LV", 200, 6566, 0.0012345, "192.0.2.7")
    assert json.loads(AccessWriter("json").line(entry)) == {
        "time": "1970-01-01T00:00:00.000+00:00",
        "method": "GET",
        "path": "/v1/crossings?country=LV",
        "status": 200,
        "bytes": 6566,
        "ms": 1.234,
        "client": "192.0.2.7",
    }
    assert AccessWriter("text").line(entry) == (
        '192.0.2.7 1970-01-01T00:00:00.000+00:00 "GET /v1/crossings?country=LV" 200 6566 1.234ms'
    )


class Held(io.StringIO):
    """A log stream that takes lines only once let go of."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def write(self, text: str) -> int:
        self.go.wait(30)
        return super().write(text)


def test_a_log_that_is_held_up_holds_up_no_answer(seeded_engine: Engine) -> None:
    held = Held()
    app = create_app(Settings(database_url=str(seeded_engine.url)), engine=seeded_engine)
    app.state.access_writer.stream = held
    app.state.access_writer.interval = 0.01
    try:
        with TestClient(app) as client:
            answers = [client.get("/v1/crossings", params={"country": c}) for c in ("LV", "EE")]
            assert [a.status_code for a in answers] == [200, 200]
            assert held.getvalue() == "", "no line written while the log is held"
            held.go.set()
        # Shutting down writes what was queued.
        paths = [json.loads(line)["path"] for line in held.getvalue().splitlines()]
        assert paths == ["/v1/crossings?country=LV", "/v1/crossings?country=EE"]
    finally:
        held.go.set()


def served_lines(tmp_path: Path, **env: str) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = seeded_sqlite(tmp_path / "store.db")
    log = tmp_path / "service.log"
    with Service({"DATABASE_URL": f"sqlite:///{store}", **env}, log) as service:
        for url in ("/v1/crossings?country=LV", "/v1/crossings?country=LV", "/v1/nowhere"):
            httpx.get(service.base_url + url, timeout=10)
    return [line for line in log.read_text("utf-8").splitlines() if "/v1/" in line]


@pytest.mark.slow
def test_the_served_service_logs_each_request_as_json_by_default(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in served_lines(tmp_path)]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [
        ("GET", "/v1/crossings?country=LV", 200),
        ("GET", "/v1/crossings?country=LV", 200),
        ("GET", "/v1/nowhere", 404),
    ]
    assert lines[0]["bytes"] == lines[1]["bytes"] > 1000
    assert all(e["client"] == "127.0.0.1" and e["ms"] >= 0 for e in lines)


@pytest.mark.slow
def test_settings_choose_the_lines_or_turn_them_off(tmp_path: Path) -> None:
    text = served_lines(tmp_path / "text", ACCESS_LOG_FORMAT="text")
    assert len(text) == 3 and text[0].startswith("127.0.0.1 ")
    assert '"GET /v1/crossings?country=LV" 200 ' in text[0]
    assert served_lines(tmp_path / "off", ACCESS_LOG="false") == []
