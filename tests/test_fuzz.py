"""Bad input, generated: Hypothesis throws raw query strings at every GET route, on every
backend, with fixed seeds. (Schemathesis runs every check and phase against the served
schema in tests/test_contract.py.)
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from app.config import Settings
from app.main import create_app
from app.seed.sync import seed
from tests import figures
from tests.asgi import call
from tests.conftest import SEED_DIR, Databases
from tests.contract_hooks import LEAK
from tests.test_main import openapi_schema

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_engine(databases: Databases) -> Engine:
    _url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    return engine


# --- raw query strings -----------------------------------------------------------------------


def get_routes() -> list[tuple[str, list[str]]]:
    """Every GET path of the schema, with the names of its query parameters."""
    routes = []
    for path, operations in openapi_schema()["paths"].items():
        if "get" in operations:
            parameters = operations["get"].get("parameters", [])
            routes.append((path, [p["name"] for p in parameters if p["in"] == "query"]))
    return routes


def concrete(path: str) -> str:
    """The path with each {parameter} filled the way a client would."""
    examples = {"file": "001_2d175952eb0183b5.txt", "index": "3"}
    return re.sub(r"\{([^}]+)\}", lambda m: examples.get(m.group(1), "lv"), path)


ODD_VALUES = [
    "",
    "%00",
    "a%00b",
    "\x00",
    str(2**64),
    str(-(2**63) - 1),
    "NaN",
    "-Infinity",
    "1e309",
    "0x10",
    "%ff",
    "%c3%28",
    "%ed%a0%80",
    "%f0%9f%92",
    "%",
    "%zz",
    "%%",
    "+",
    "%2B%2B",
    "%26%3D",
    "x" * 10_000,
    "%e2%80%ae" * 50,
    "[]",
    "{}",
    "..%2F..%2Fetc%2Fpasswd",
]


def raw_query(names: list[str]) -> st.SearchStrategy[bytes]:
    """A query string as raw bytes: known and unknown keys, repeated, with odd values."""
    key = st.sampled_from([*names, "unknown", "limit", "%00", "", "a[b]", "x" * 300])
    value = st.one_of(
        st.sampled_from(ODD_VALUES),
        st.text(max_size=30),
        st.binary(max_size=30).map(lambda b: b.decode("latin-1")),
    )
    pair = st.tuples(key, value, st.sampled_from(["=", "", "=="]))
    return st.lists(pair, max_size=8).map(
        lambda pairs: "&".join(k + sep + v for k, v, sep in pairs).encode("utf-8", "surrogatepass")
    )


@pytest.fixture(scope="module")
def raw_app(fuzz_engine: Engine) -> ASGIApp:
    return create_app(Settings(database_url=str(fuzz_engine.url)), engine=fuzz_engine)


@pytest.mark.parametrize(("path", "names"), get_routes(), ids=[p for p, _ in get_routes()])
def test_raw_query_strings_never_get_a_5xx(
    raw_app: ASGIApp, path: str, names: list[str], backend: str
) -> None:
    @given(query=raw_query(names))
    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    def check(query: bytes) -> None:
        figures.count(f"raw query strings [{backend}]", f"GET {path}")
        answer = call(raw_app, "GET", concrete(path), query_string=query)
        assert answer.status < 500, (query, answer.body[:300])
        if answer.status >= 400:
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert not LEAK.search(answer.body.decode("utf-8", "replace")), answer.body

    check()


def test_the_fuzzing_covers_every_get_route() -> None:
    paths = {p for p, _ in get_routes()}
    assert {"/v1/crossings", "/v1/search", "/v1/sources/{file}/sentences/{index}"} <= paths
    assert {"/healthz", "/readyz"} <= paths
