"""Test databases are built by running the migrations: on SQLite always, and on PostgreSQL
when TEST_DATABASE_URL is set (then an unreachable server is an error, never a skip)."""

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic_settings import BaseSettings
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT, Settings
from app.db.engine import make_engine
from app.db.migrations import migrate
from app.db.prepared import PreparedQuery
from app.main import create_app
from app.seed.sync import seed
from tests import figures

SEED_DIR = PROJECT_ROOT / "seed_data"


class TestSettings(BaseSettings):
    test_database_url: str | None = None


POSTGRES_URL = TestSettings().test_database_url
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


class Databases:
    """Makes empty, migrated databases of one backend, and drops them afterwards."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.engines: list[Engine] = []
        self.created: list[str] = []
        self.template: str | None = None

    def new_url(self) -> str:
        name = f"bs_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / name}.db"
        assert POSTGRES_URL is not None
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def migrated(self) -> tuple[str, Engine]:
        url = self.new_url()
        migrate(url)
        engine = make_engine(url, pool_size=5)
        self.engines.append(engine)
        return url, engine

    def seeded(self) -> Engine:
        """A database seeded from seed_data/ of its own: a copy of one seeded once."""
        if self.template is None:
            url = self.new_url()
            migrate(url)
            engine = make_engine(url, pool_size=1)
            seed(engine, SEED_DIR)
            if self.backend == "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self.template = url
        if self.backend == "sqlite":
            url = self.new_url()
            shutil.copyfile(str(make_url(self.template).database), str(make_url(url).database))
        else:
            name = f"bs_test_{uuid.uuid4().hex[:12]}"
            assert POSTGRES_URL is not None
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                template = make_url(self.template).database
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            admin.dispose()
            self.created.append(name)
            url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url, pool_size=5)
        self.engines.append(engine)
        return engine

    def release(self, engine: Engine) -> None:
        """Done with a test's own database: its connections closed, and on PostgreSQL the
        database dropped, so a long suite never holds more than a few connections."""
        engine.dispose()
        self.engines.remove(engine)
        name = engine.url.database
        if self.backend == "postgresql" and name in self.created:
            self.created.remove(name)
            admin = create_engine(POSTGRES_URL or "", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if not self.created:
            return
        assert POSTGRES_URL is not None
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """The number of rows in each table of `engine`'s database."""
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in inspect(conn).get_table_names()
        }


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(backend, tmp_path_factory.mktemp(backend))
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def seeded_engine(databases: Databases) -> Engine:
    """A database seeded from seed_data/, shared by the tests that only read."""
    _url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    return engine


@pytest.fixture
def fresh_engine(databases: Databases) -> Iterator[Engine]:
    """An empty, migrated database of its own, for tests that write."""
    engine = databases.migrated()[1]
    yield engine
    databases.release(engine)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A private copy of seed_data/ that a test may edit."""
    target = tmp_path / "seed_data"
    shutil.copytree(SEED_DIR, target)
    return target


def client_for(engine: Engine, *, response_cache: bool = True) -> TestClient:
    """A client of the app on `engine` (its lifespan, and so its data-version watcher, off)."""
    settings = Settings(database_url=str(engine.url), response_cache=response_cache)
    return TestClient(create_app(settings, engine=engine))


@pytest.fixture(scope="session")
def client(seeded_engine: Engine) -> TestClient:
    return client_for(seeded_engine)


@pytest.fixture(scope="session")
def uncached_client(seeded_engine: Engine) -> TestClient:
    """Every request reaches the database: for counting the statements an answer takes."""
    return client_for(seeded_engine, response_cache=False)


@pytest.fixture
def count_queries(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], int]]:
    """How many SQL statements the seeded database has run since the fixture started: through
    SQLAlchemy, and the prepared reads run on the driver's connection (app.db.PreparedQuery)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    fetch = PreparedQuery.fetch

    def counted(query: PreparedQuery, connection: Any, values: Any) -> list[Any]:
        statements.append(query.sql)
        return fetch(query, connection, values)

    monkeypatch.setattr(PreparedQuery, "fetch", counted)
    event.listen(seeded_engine, "before_cursor_execute", record)
    yield lambda: len(statements)
    event.remove(seeded_engine, "before_cursor_execute", record)


# --- writes ---------------------------------------------------------------------------------

TOKENS = {"alice": "alice-0123456789abcdef", "bob": "bob-0123456789abcdef"}


def writable_settings(engine: Engine, **overrides: Any) -> Settings:
    """Settings with two curators, and rates no test reaches unless it sets its own."""
    values: dict[str, Any] = {
        "database_url": str(engine.url),
        "curator_tokens": ",".join(f"{name}:{token}" for name, token in TOKENS.items()),
        "write_rate_limit": "10000/minute",
        "auth_failure_rate_limit": "10000/minute",
    }
    return Settings(**(values | overrides))


def writable_client(
    engine: Engine, *, raise_server_exceptions: bool = True, **overrides: Any
) -> TestClient:
    return TestClient(
        create_app(writable_settings(engine, **overrides), engine=engine),
        raise_server_exceptions=raise_server_exceptions,
    )


@pytest.fixture
def seeded_fresh_engine(databases: Databases) -> Iterator[Engine]:
    """A seeded database of its own, for a test that writes."""
    engine = databases.seeded()
    yield engine
    databases.release(engine)


@pytest.fixture
def writer(seeded_fresh_engine: Engine) -> TestClient:
    """A client of a seeded database of its own, with curators configured."""
    return writable_client(seeded_fresh_engine)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures the fuzz, fault and load tests measured."""
    lines = figures.summary()
    if lines:
        terminalreporter.section("measured")
        for line in lines:
            terminalreporter.write_line(line)
