from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.main import create_app
from tests.routes.checks import assert_problem


def test_healthz_says_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_says_the_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.fixture(
    params=[
        "sqlite:///{tmp}/no/such/dir/borderstatus.db",
        # Nothing listens on port 1; the connection is refused at once.
        "postgresql+psycopg://postgres@127.0.0.1:1/borderstatus?connect_timeout=2",
    ],
    ids=["sqlite-unopenable", "postgresql-refused"],
)
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A client whose database can't be reached."""
    engine = create_engine(str(request.param).format(tmp=tmp_path))
    yield TestClient(create_app(engine=engine))
    engine.dispose()


def test_readyz_is_a_503_problem_when_the_database_is_unreachable(
    unreachable: TestClient,
) -> None:
    response = unreachable.get("/readyz")
    body = assert_problem(response, 503)
    assert "database" in body["title"].lower()
    assert response.headers["cache-control"] == "no-store"


def test_healthz_does_not_need_the_database(unreachable: TestClient) -> None:
    assert unreachable.get("/healthz").json() == {"status": "ok"}
