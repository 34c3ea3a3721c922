"""The committed openapi.json is the contract frontends build on: it must match the app, and a
client generated from it must work against the real service."""

import difflib
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli.server import openapi_json
from app.config import PROJECT_ROOT, Settings
from app.main import create_app

OPENAPI_FILE = PROJECT_ROOT / "openapi.json"
CLIENT_PACKAGE = "border_status_api_client"


def test_committed_openapi_json_matches_the_app(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    served = openapi_json(app.openapi())
    committed = OPENAPI_FILE.read_text("utf-8") if OPENAPI_FILE.exists() else ""

    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            served.splitlines(keepends=True),
            "openapi.json (committed)",
            "create_app().openapi()",
            n=2,
        )
    )
    assert committed == served, (
        "openapi.json is out of date with the routes: run `make openapi` and commit it.\n"
        + diff[:4000]
    )


def test_every_operation_has_a_summary_and_an_id_a_client_can_use(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    schema: dict[str, Any] = create_app(settings).openapi()

    operations = [op for path in schema["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert "list_crossings" in ids and "get_border" in ids
    assert all(op.get("description") for op in operations)


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """A Python client generated from the committed openapi.json by openapi-python-client."""
    out = tmp_path_factory.mktemp("generated")
    config = out / "config.yaml"
    # The generator knows no NDJSON; the export's lines are read as bytes.
    config.write_text(
        "post_hooks: []\n"
        "content_type_overrides:\n  application/x-ndjson: application/octet-stream\n",
        "utf-8",
    )
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(OPENAPI_FILE),
            "--output-path",
            str(out / CLIENT_PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(CLIENT_PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == CLIENT_PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def api(generated_client: ModuleType, client: TestClient) -> Any:
    """The generated client, talking to the app on the seeded store through its httpx client."""
    api = generated_client.Client(base_url=str(client.base_url))
    api.set_httpx_client(client)
    return api


def _module(name: str) -> Any:
    return importlib.import_module(f"{CLIENT_PACKAGE}.{name}")


@pytest.mark.slow
def test_generated_client_lists_latvias_crossings_with_provenance(api: Any) -> None:
    list_crossings = _module("api.crossings.list_crossings")

    page = list_crossings.sync(client=api, country="LV")

    assert {c.id for c in page.data} == {"grebneva", "pededze", "terehova", "vientuli"}
    assert page.meta.total == 4
    for crossing in page.data:
        assert crossing.provenance
        for cited in crossing.provenance:
            assert cited.sentence[cited.quote_start - cited.char_start :].startswith(cited.quote)


@pytest.mark.slow
def test_generated_client_reads_the_as_of_answer(api: Any) -> None:
    list_crossings = _module("api.crossings.list_crossings")

    page = list_crossings.sync(client=api, country="LV", as_of="2023-11")

    # Vientuļi and Pededze closed in December: open is implied just before; nothing is known
    # of the other two before their 2025 pedestrian ban.
    assert {(c.id, c.status, c.status_basis) for c in page.data} == {
        ("vientuli", "open", "implied"),
        ("pededze", "open", "implied"),
        ("terehova", "unknown", "none"),
        ("grebneva", "unknown", "none"),
    }
    assert page.meta.as_of == "2023-11-30"


@pytest.mark.slow
def test_generated_client_fetches_the_facts_of_the_norway_russia_border(api: Any) -> None:
    get_border = _module("api.borders.get_border")

    border = get_border.sync(client=api, border_id="NO-RU")

    assert border.id == "NO-RU"
    assert border.disputed is True
    (length,) = [f for f in border.facts if f.topic == "length_km"]
    assert length.preferred_value == "195.7"
    assert [c.value for c in length.claims] == ["195.7", "197.7", "219", "197"]
    assert all(claim.provenance for claim in length.claims)
    assert [c.id for c in border.crossings] == ["storskog"]


@pytest.mark.slow
def test_generated_client_gets_problems_as_problem_objects(api: Any) -> None:
    get_border = _module("api.borders.get_border")
    list_crossings = _module("api.crossings.list_crossings")
    problem = _module("models.problem").Problem

    missing = get_border.sync(client=api, border_id="XX-YY")
    invalid = list_crossings.sync(client=api, country="XX")

    assert isinstance(missing, problem) and missing.status == 404
    assert isinstance(invalid, problem) and invalid.status == 422
    assert "unknown country 'XX'" in invalid.detail
