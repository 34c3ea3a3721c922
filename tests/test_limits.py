"""Request bodies: 413 over 1 MiB (declared or streamed), 415 for anything but JSON, 422 for
JSON that doesn't parse or nests too deep; all before routing, on today's paths and on a route
that takes a body."""

import json
import logging
from typing import Annotated, Any

import pytest
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.limits import MAX_JSON_DEPTH, RequestBodyLimits
from app.main import create_app
from app.problems import install as install_problems
from tests.asgi import call
from tests.conftest import writable_client
from tests.routes.checks import assert_problem
from tests.writes import auth, new_crossing

MiB = 1024 * 1024
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def echo_app() -> FastAPI:
    """A route that takes a JSON body, behind the same middleware the service uses."""
    app = FastAPI()
    install_problems(app)

    @app.post("/echo")
    def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return {"received": payload}

    app.add_middleware(RequestBodyLimits, max_bytes=MiB)
    return app


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The service itself (no request here reaches its database)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'unused.db'}"
    return create_app(Settings(database_url=url))


def test_a_json_body_under_the_limit_reaches_the_route_intact(echo_app: FastAPI) -> None:
    payload = {"name": "Vientuļi", "notes": "x" * (MiB // 2)}
    response = TestClient(echo_app).post("/echo", json=payload)
    assert response.status_code == 200
    assert response.json() == {"received": payload}


def test_a_body_over_one_mib_is_a_413(echo_app: FastAPI) -> None:
    body = json.dumps({"notes": "x" * MiB}).encode()
    response = TestClient(echo_app).post(
        "/echo", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_declared_length_over_the_limit_is_refused_before_reading_the_body(
    echo_app: FastAPI,
) -> None:
    answer = call(
        echo_app,
        "POST",
        "/echo",
        headers=[("Content-Type", "application/json"), ("Content-Length", str(MiB + 1))],
        chunks=[b"{}"] * 10,
    )
    assert answer.status == 413
    assert answer.read == 0


def test_a_chunked_body_is_counted_as_it_streams(echo_app: FastAPI) -> None:
    chunk = b" " * (64 * 1024)
    chunks = [b'{"a": 1}'] + [chunk] * 40  # 2.5 MiB in all, and no Content-Length
    answer = call(
        echo_app,
        "POST",
        "/echo",
        headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
        chunks=chunks,
    )
    assert answer.status == 413
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert MiB < answer.read < MiB + 2 * len(chunk), "stopped reading soon after the limit"


def test_a_chunked_body_under_the_limit_is_passed_on(echo_app: FastAPI) -> None:
    answer = call(
        echo_app,
        "POST",
        "/echo",
        headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
        chunks=[b'{"border": ', b'"LV-RU"}'],
    )
    assert answer.status == 200
    assert json.loads(answer.body) == {"received": {"border": "LV-RU"}}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_body_that_is_not_json_is_a_415(echo_app: FastAPI, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = TestClient(echo_app).post("/echo", content=b'{"a": 1}', headers=headers)
    body = assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_json_variants_are_accepted(echo_app: FastAPI) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = TestClient(echo_app).post(
            "/echo", content=b'{"a": 1}', headers={"Content-Type": content_type}
        )
        assert response.status_code == 200, content_type


def test_a_compressed_body_is_a_415(echo_app: FastAPI) -> None:
    response = TestClient(echo_app).post(
        "/echo",
        content=b"\x1f\x8b\x08\x00",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert_problem(response, 415)


def test_a_coding_on_any_content_encoding_line_is_a_415(echo_app: FastAPI) -> None:
    response = TestClient(echo_app).post(
        "/echo",
        content=b"{}",
        headers=[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("Content-Encoding", "identity"),
        ],
    )
    assert_problem(response, 415)


@pytest.mark.parametrize("second", ["text/plain", "application/json"])
def test_two_content_type_lines_are_a_400(echo_app: FastAPI, second: str) -> None:
    """The framework reads a body by its first Content-Type, a proxy may go by the last."""
    response = TestClient(echo_app).post(
        "/echo",
        content=b'{"a": 1}',
        headers=[("Content-Type", "application/json"), ("Content-Type", second)],
    )
    assert_problem(response, 400)
    assert "one Content-Type" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [b"{", b'{"a": 1,}', b"{'a': 1}", b'{"a": NaN}', b"\xff\xfe{}", b'{"a": "\xc3"}']
)
def test_malformed_json_is_a_422_naming_the_body(echo_app: FastAPI, body: bytes) -> None:
    response = TestClient(echo_app).post(
        "/echo", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "body")


# --- on the service's own paths, before routing ----------------------------------------------


def test_a_large_post_to_a_read_only_path_is_a_413_not_a_405(service: FastAPI) -> None:
    body = b"[" + b"1," * MiB + b"1]"
    response = TestClient(service).post(
        "/v1/crossings", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)


def test_a_chunked_post_to_a_read_only_path_is_a_413(service: FastAPI) -> None:
    answer = call(
        service,
        "POST",
        "/v1/crossings",
        headers=[("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
        chunks=[b"[" + b"0," * (256 * 1024)] * 3,
    )
    assert answer.status == 413
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_form_post_to_a_read_only_path_is_a_415_not_a_405(service: FastAPI) -> None:
    response = TestClient(service).post("/v1/crossings", data={"name": "x"})
    assert_problem(response, 415)


def test_malformed_json_to_a_read_only_path_is_a_422(service: FastAPI) -> None:
    response = TestClient(service).patch(
        "/v1/crossings/storskog", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "body")


def test_a_well_formed_post_to_a_read_only_path_is_still_a_405(service: FastAPI) -> None:
    response = TestClient(service).post("/v1/borders", json={"name": "x"})
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_a_post_without_a_body_is_routed_as_before(service: FastAPI) -> None:
    assert_problem(TestClient(service).post("/v1/borders"), 405)


# --- nesting ----------------------------------------------------------------------------------


@pytest.fixture
def curated(fresh_engine: Engine) -> TestClient:
    """The service with curators, answering a 500 as a 500 (rather than raising it here)."""
    return writable_client(fresh_engine, raise_server_exceptions=False)


def nested(depth: int) -> str:
    """Arrays `depth` levels deep."""
    return "[" * depth + "]" * depth


def crossing_with_aliases(aliases: str) -> bytes:
    """A valid new crossing but for its aliases, given as raw JSON."""
    body = json.dumps(new_crossing(aliases=None))
    return body.replace("null", aliases, 1).encode()


# 65 is one past the bound; about 950-970 is where json.loads in the middleware still copes
# but the framework's own parse of the same body runs out of stack; past 1000 json.loads does.
TOO_DEEP = [MAX_JSON_DEPTH + 1, 500, 900, 960, 1000, 100_000]


@pytest.mark.slow
@pytest.mark.parametrize("depth", TOO_DEEP)
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/v1/crossings", {}),
        ("POST", "/v1/crossings", auth()),
        ("PATCH", "/v1/crossings/narva", auth()),
        ("GET", "/healthz", {}),
    ],
)
def test_json_nested_past_the_bound_is_a_422_saying_so_with_no_traceback_logged(
    curated: TestClient,
    caplog: pytest.LogCaptureFixture,
    depth: int,
    method: str,
    path: str,
    headers: dict[str, str],
) -> None:
    with caplog.at_level(logging.INFO):
        response = curated.request(
            method,
            path,
            content=nested(depth),
            headers={"Content-Type": "application/json", **headers},
        )
    body = assert_problem(response, 422, "body")
    assert body["title"] == "Malformed JSON"
    assert f"more than {MAX_JSON_DEPTH} levels" in body["detail"]
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]


@pytest.mark.parametrize("depth", TOO_DEEP)
def test_a_valid_write_with_a_field_nested_past_the_bound_is_a_422_saying_so(
    curated: TestClient, caplog: pytest.LogCaptureFixture, depth: int
) -> None:
    with caplog.at_level(logging.INFO):
        response = curated.post(
            "/v1/crossings",
            content=crossing_with_aliases(nested(depth - 1)),
            headers={"Content-Type": "application/json", **auth()},
        )
    assert f"more than {MAX_JSON_DEPTH} levels" in assert_problem(response, 422, "body")["detail"]
    assert "Traceback" not in caplog.text


def test_nesting_up_to_the_bound_reaches_the_route(
    curated: TestClient, echo_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    deepest = json.loads(nested(MAX_JSON_DEPTH))
    echoed = TestClient(echo_app).post("/echo", json={"deep": deepest[0]})
    assert echoed.json() == {"received": {"deep": deepest[0]}}
    health = curated.request(
        "GET", "/healthz", content=nested(MAX_JSON_DEPTH), headers={"Content-Type": JSON}
    )
    assert health.status_code == 200
    with caplog.at_level(logging.INFO):
        write = curated.post(
            "/v1/crossings",
            content=crossing_with_aliases(nested(MAX_JSON_DEPTH - 1)),
            headers={"Content-Type": JSON, **auth()},
        )
    # The route's own validation answers: aliases are names, not arrays.
    assert_problem(write, 422, "aliases.0")
    assert "Traceback" not in caplog.text


def test_brackets_inside_strings_are_not_nesting(echo_app: FastAPI) -> None:
    payload = {"notes": "[{" * 1000, "quote": '\\"[' * 100}
    response = TestClient(echo_app).post("/echo", json=payload)
    assert response.json() == {"received": payload}
