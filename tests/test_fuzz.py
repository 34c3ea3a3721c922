"""Bad input, generated: Schemathesis runs every check it has against every operation of the
OpenAPI schema (routes added later are included by themselves), and Hypothesis throws raw query
strings at every GET route. Both on every backend, with fixed seeds.

Each run gets a database of its own, so operations that write (once there are any) can't
disturb the other tests. `api_headers` is what every generated request carries: the write
routes' bearer token goes there.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import ignored_auth
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings
from app.main import create_app
from app.seed import seed
from tests import figures
from tests.asgi import call
from tests.conftest import SEED_DIR, Databases, writable_settings
from tests.test_main import openapi_schema
from tests.writes import auth

pytestmark = pytest.mark.slow

# Per operation and phase; the whole run takes well under a minute per backend.
MAX_EXAMPLES = 30

# Query parameters whose accepted values a JSON schema can't state: they depend on the data
# (country codes), on what the API issued (cursors), on the calendar (dates), or on what the
# words are made of. A schema-valid value can still be a 422 naming one of them.
DATA_DEPENDENT = frozenset({"country", "neighbour", "cursor", "as_of", "from", "to", "q"})
# Write bodies: a quote must be found in a stored article, a code must be stored, a date must
# not run ahead of the calendar or behind the record's history, a name must make an id, an
# article must split into sentences, an event field needs a status change, and a key must
# not be reused.
DATA_DEPENDENT_BODY = frozenset(
    {
        "countries",
        "effective",
        "status_since",
        "since",
        "until",
        "completion",
        "event_kind",
        "event_summary",
        "name",
        "summary",
        "file",
        "text",
        "published",
        "Idempotency-Key",
    }
)


def data_dependent(parameter: str) -> bool:
    return (
        parameter in DATA_DEPENDENT
        or parameter in DATA_DEPENDENT_BODY
        or parameter.startswith("citations.")
    )


# What no error body may show: a traceback, a source path, SQL or a driver's message.
LEAK = re.compile(
    r"Traceback|File \"|\.py\b|/usr/|site-packages|sqlalchemy|sqlite3|psycopg|"
    r"\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE FROM\b|\bWHERE\b",
)
SECURITY_HEADERS = ("x-content-type-options", "content-security-policy", "referrer-policy")


def without_lifespan(app: ASGIApp) -> ASGIApp:
    """The app as the other tests see it: no data-version watcher thread left running."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan")
        await app(scope, receive, send)

    return asgi


@pytest.fixture(scope="module")
def fuzz_engine(databases: Databases) -> Engine:
    _url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    return engine


@pytest.fixture(scope="module")
def fuzz_app(fuzz_engine: Engine) -> ASGIApp:
    """The app with curators configured, so the write routes are fuzzed past their guard."""
    return without_lifespan(create_app(writable_settings(fuzz_engine), engine=fuzz_engine))


@pytest.fixture
def api_headers() -> dict[str, str]:
    """Headers every generated request carries: a curator's token, for the write routes
    (Schemathesis also sends requests without it, and expects the 401)."""
    return auth()


def api_schema() -> Any:
    """The service's schema, read once at collection (so each operation is a test of its own);
    requests go to the app of the backend under test."""
    config = SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "checks": {
                # A schema-valid request may be refused with a 422 when it names a parameter
                # of DATA_DEPENDENT; `refusals_name_a_data_dependent_parameter` holds it to that.
                "positive_data_acceptance": {
                    "expected-statuses": [
                        "2xx",
                        "3xx",
                        "401",
                        "403",
                        "404",
                        "409",
                        # A generated If-Match is almost never the record's ETag.
                        "412",
                        "422",
                    ]
                },
                # A PATCH without its required If-Match is a 428 Precondition Required.
                "missing_required_header": {
                    "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]
                },
            },
        }
    )
    return schemathesis.openapi.from_dict(openapi_schema(), config=config)


def refusals_name_a_data_dependent_parameter(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 422 to a request generated as valid names a parameter the schema can't constrain."""
    meta = case.meta
    if response.status_code != 422 or meta is None or meta.generation.mode.is_negative:
        return None
    if any(component.mode.is_negative for component in meta.components.values()):
        return None  # a part of it (the body, say) was made invalid on purpose
    named = {e["parameter"] for e in json.loads(response.content).get("errors", [])}
    if not named or not all(data_dependent(name) for name in named):
        raise Failure(
            operation=case.operation.label,
            title="Schema-valid request refused",
            message=f"422 naming {sorted(named)}: {response.content[:300]!r}",
        )
    return True


def answers_are_safe(ctx: Any, response: Any, case: Any) -> bool | None:
    """Security headers on every answer; no error body shows a traceback, a path or SQL."""
    missing = [h for h in SECURITY_HEADERS if h not in response.headers]
    leak = LEAK.search(response.content.decode("utf-8", "replace"))
    if missing or (response.status_code >= 400 and leak):
        raise Failure(
            operation=case.operation.label,
            title="Unsafe answer",
            message=f"missing headers {missing}; leaks {leak.group(0) if leak else None!r}",
        )
    return True


schema = api_schema()


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_meets_its_schema(
    case: Any, fuzz_app: ASGIApp, api_headers: dict[str, str], backend: str
) -> None:
    """No 5xx, answers and status codes as documented, invalid input refused with a 4xx."""
    figures.count(f"schemathesis [{backend}]", case.operation.label)
    case.call_and_validate(
        app=fuzz_app,
        headers=api_headers,
        additional_checks=[refusals_name_a_data_dependent_parameter, answers_are_safe],
        # Its probe without credentials goes over the network, not to this app; that every
        # write route refuses a missing or wrong token is tested route by route in test_auth.
        excluded_checks=[ignored_auth],
    )


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
def raw_app(fuzz_engine: Engine) -> Iterator[ASGIApp]:
    yield create_app(Settings(database_url=str(fuzz_engine.url)), engine=fuzz_engine)


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
