"""The typed client a frontend gets: openapi-typescript (from npm, at the version
tests/typescript/package-lock.json pins) generates types from openapi.json, and tsc type-checks
a small frontend (tests/typescript/example.ts) that lists crossings and reads their provenance.
The generated types are in docs/ as an example, and stay the ones openapi.json makes."""

import shutil
import subprocess
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

HERE = PROJECT_ROOT / "tests" / "typescript"
EXAMPLE_TYPES = PROJECT_ROOT / "docs" / "openapi-types.d.ts"


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project with its pinned packages installed, and the types generated."""
    npm = shutil.which("npm")
    assert npm, "npm is needed (Node 20 and npm; .ci/run installs them)"
    work = tmp_path_factory.mktemp("typescript")
    for name in ("package.json", "package-lock.json", "tsconfig.json", "example.ts"):
        shutil.copy(HERE / name, work / name)
    installed = run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=work)
    assert installed.returncode == 0, installed.stderr
    generate = work / "node_modules" / ".bin" / "openapi-typescript"
    made = run(str(generate), str(PROJECT_ROOT / "openapi.json"), "-o", "api.d.ts", cwd=work)
    assert made.returncode == 0, made.stderr
    return work


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return run(str(project / "node_modules" / ".bin" / "tsc"), "-p", ".", cwd=project)


def test_the_example_frontend_type_checks_against_the_generated_types(project: Path) -> None:
    checked = tsc(project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_frontend_that_misreads_the_api_does_not(project: Path) -> None:
    """The types are the schema's: a misspelt field, or a status the schema doesn't list,
    fails the check."""
    example = (project / "example.ts").read_text("utf-8")
    try:
        for wrong in ("crossing.stauts", "p.sentence_idx"):
            right = wrong.replace("stauts", "status").replace("sentence_idx", "sentence_index")
            assert right in example
            (project / "example.ts").write_text(example.replace(right, wrong, 1), "utf-8")
            checked = tsc(project)
            assert checked.returncode != 0 and "TS2" in checked.stdout, wrong
    finally:
        (project / "example.ts").write_text(example, "utf-8")


def test_the_types_in_docs_are_the_ones_openapi_json_makes(project: Path) -> None:
    made = (project / "api.d.ts").read_text("utf-8")
    assert EXAMPLE_TYPES.read_text("utf-8") == made, (
        "docs/openapi-types.d.ts is out of date: regenerate it from openapi.json "
        "(see docs/api.md, 'A typed client')"
    )
