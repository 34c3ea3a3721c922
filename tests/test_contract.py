"""The contract as a client generator's user would check it: Schemathesis's `st run`, with
every check and every phase (examples, coverage, fuzzing, stateful), a fixed seed, against
the service as `borderstatus serve` starts it. Twice on each backend: with writes enabled and
a curator's token sent, and with no token configured. Each run finds nothing.

Three settings differ from Schemathesis's defaults, each for a status the request earns:
- a PATCH whose If-Match is well formed but not the record's ETag is a 412 (the ETag can't be
  foreseen), so 412 counts as accepting a schema-valid request;
- a PATCH without If-Match is a 428 Precondition Required (RFC 6585);
- `positive_data_acceptance` runs as `schema_valid_requests_are_accepted`
  (tests/contract_hooks.py), which passes only the refusals no schema can foresee, each by
  the parameter it names and the reason it gives.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT
from app.seed.sync import seed
from tests import figures
from tests.conftest import SEED_DIR, TOKENS, Databases
from tests.server import Service

pytestmark = pytest.mark.slow

SEED = 7
EXAMPLES = 25
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]

[checks.missing_required_header]
expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
"""


@pytest.fixture
def store(databases: Databases) -> str:
    """A database of its own (the run writes), migrated and seeded."""
    url, engine = databases.migrated()
    seed(engine, SEED_DIR)
    engine.dispose()
    return url


def st_run(base_url: str, work: Path, headers: list[str]) -> subprocess.CompletedProcess[str]:
    config = work / "schemathesis.toml"
    config.write_text(CONFIG, "utf-8")
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--no-color",
        *[part for header in headers for part in ("-H", header)],
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.contract_hooks",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.parametrize("writes", ["token sent", "no token configured"])
def test_schemathesis_finds_nothing(store: str, tmp_path: Path, backend: str, writes: str) -> None:
    env = {"DATABASE_URL": store, "WRITE_RATE_LIMIT": "100000/minute"}
    headers: list[str] = []
    if writes == "token sent":
        env["CURATOR_TOKENS"] = f"alice:{TOKENS['alice']}"
        headers = [f"Authorization: Bearer {TOKENS['alice']}"]
    with Service(env, tmp_path / "service.log") as service:
        run = st_run(service.base_url, tmp_path, headers)
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    cases = re.search(r"(\d+) generated, (.*)", summary)
    figures.record(
        f"schemathesis [{backend}, {writes}]",
        f"schemathesis [{backend}, {writes}]: seed {SEED}, {EXAMPLES} examples, every check "
        f"and phase: {cases.group(0) if cases else 'no summary'}",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested.group(1)) >= 30, summary
    assert "❌" not in summary, summary
