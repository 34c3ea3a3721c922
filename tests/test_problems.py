"""No error body ever carries a traceback, a file path or SQL, whatever went wrong: a handler
raising, SQL that fails, a database that goes away mid-run."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT, Settings
from app.db.session import SessionDep
from app.main import create_app
from app.seed.sync import seed
from tests.conftest import POSTGRES_URL, SEED_DIR, Databases
from tests.routes.checks import assert_problem

SECRET_SQL = "SELECT secret FROM vault WHERE id = 1"
LEAK = re.compile(
    r"Traceback|File \"|line \d+|\.py\b|site-packages|sqlalchemy|sqlite3|psycopg|"
    r"SELECT|FROM|WHERE|vault|secret|/etc/|" + re.escape(str(PROJECT_ROOT))
)


def assert_no_leak(body: str) -> None:
    found = LEAK.search(body)
    assert found is None, f"{found.group(0)!r} in {body}"


@pytest.fixture
def broken_app(seeded_engine: Engine) -> FastAPI:
    """The service with routes that fail the ways a bug would."""
    app = create_app(Settings(database_url=str(seeded_engine.url)), engine=seeded_engine)

    def raises() -> None:
        raise RuntimeError(f"secret in {Path(__file__)}: {SECRET_SQL}")

    def bad_sql(session: SessionDep) -> None:
        session.execute(text(SECRET_SQL))

    def bad_parameter(session: SessionDep) -> None:
        session.execute(text("SELECT * FROM vault WHERE secret = :value"), {"value": "/etc/passwd"})

    async def raises_async() -> None:
        raise KeyError("secret /etc/shadow")

    app.add_api_route("/v1/raises", raises)
    app.add_api_route("/v1/bad-sql", bad_sql)
    app.add_api_route("/v1/bad-parameter", bad_parameter)
    app.add_api_route("/v1/raises-async", raises_async)
    return app


@pytest.mark.parametrize(
    "url", ["/v1/raises", "/v1/bad-sql", "/v1/bad-parameter", "/v1/raises-async"]
)
def test_a_failing_handler_answers_a_bare_500(broken_app: FastAPI, url: str) -> None:
    response = TestClient(broken_app, raise_server_exceptions=False).get(url)
    body = assert_problem(response, 500)
    assert body["title"] == "Internal server error"
    assert "detail" not in body
    assert_no_leak(response.text)


@pytest.mark.fault
def test_a_database_that_goes_away_mid_run_answers_without_details(
    databases: Databases, backend: str
) -> None:
    url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    app = create_app(Settings(database_url=url, response_cache=False), engine=engine)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/v1/crossings/storskog").status_code == 200
    if backend == "sqlite":
        # The file moves away: the next connections open an empty database in its place,
        # which has none of the tables (a 500, as for any broken schema).
        database = Path(make_url(url).database or "")
        database.rename(database.with_suffix(".gone"))
        engine.dispose()
        expected = 500
    else:
        assert POSTGRES_URL is not None
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()
        expected = 503
    for path in ("/v1/crossings/storskog", "/v1/crossings", "/v1/countries", "/readyz"):
        response = client.get(path)
        assert response.status_code == (503 if path == "/readyz" else expected), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert_no_leak(response.text)


def test_validation_problems_name_the_parameter_not_the_code(client: TestClient) -> None:
    for url in ("/v1/crossings?limit=abc", "/v1/search", "/v1/sources/x/sentences/-1"):
        response = client.get(url)
        assert response.status_code == 422
        assert_no_leak(response.text)
