"""A store that was read-only for a while takes writes again once it is writable, without a
restart, and /readyz says which of the two it is."""

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import writable_client
from tests.routes.checks import assert_problem
from tests.server import Service, curated, seeded_sqlite, wait_for
from tests.writes import auth, new_crossing

pytestmark = pytest.mark.slow

# Capabilities a root process is left without, so that file modes bind it as any user.
NO_DAC_OVERRIDE = ("--bounding-set", "-dac_override", "--inh-caps", "-dac_override")


def without_dac_override() -> list[str]:
    """The command prefix under which file modes bind this process's children: none when not
    root; as root, setpriv dropping CAP_DAC_OVERRIDE (skips the test without setpriv)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): file modes can't bind it")
    return [setpriv, *NO_DAC_OVERRIDE, "--"]


READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
WRITABLE_FILE = READ_ONLY_FILE | stat.S_IWUSR


def store_files(store: Path) -> list[Path]:
    files = [store, *(store.with_name(f"{store.name}{end}") for end in ("-wal", "-shm"))]
    return [file for file in files if file.exists()]


def chmod_store(store: Path, mode: int) -> None:
    for file in store_files(store):
        os.chmod(file, mode)


def write_until_answered(service: Service, *, tries: int = 5) -> httpx.Response:
    """POST a new crossing until it is answered with anything but a 503, `tries` at most."""
    url = f"{service.base_url}/v1/crossings"
    for _ in range(tries):
        response = httpx.post(url, headers=auth(), json=new_crossing(), timeout=30)
        if response.status_code != 503:
            break
    return response


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    store = seeded_sqlite(tmp_path / "store" / "borderstatus.db")
    chmod_store(store, READ_ONLY_FILE)
    yield store
    chmod_store(store, WRITABLE_FILE)


def test_a_store_that_was_read_only_takes_writes_again_without_a_restart(
    read_only_store: Path, tmp_path: Path
) -> None:
    prefix = without_dac_override()
    with Service(
        curated(read_only_store), tmp_path / "service.log", prefix=prefix, ready="/healthz"
    ) as service:
        refused = httpx.post(
            f"{service.base_url}/v1/crossings", headers=auth(), json=new_crossing(), timeout=30
        )
        ready = httpx.get(f"{service.base_url}/readyz", timeout=30)
        read = httpx.get(f"{service.base_url}/v1/crossings", timeout=30)

        chmod_store(read_only_store, WRITABLE_FILE)
        written = write_until_answered(service)
        ready_again = httpx.get(f"{service.base_url}/readyz", timeout=30)

    assert refused.status_code == 503, refused.text
    assert refused.json()["title"] == "Database read-only"
    assert read.status_code == 200
    assert written.status_code == 201, written.text
    assert ready.status_code == 503
    assert ready.json()["title"] == "Database read-only"
    assert ready_again.status_code == 200


def test_a_write_right_after_the_store_is_writable_again_succeeds(
    read_only_store: Path, tmp_path: Path
) -> None:
    """Connections opened while the store was read-only are dropped before they fail a write."""
    prefix = without_dac_override()
    with Service(
        curated(read_only_store), tmp_path / "service.log", prefix=prefix, ready="/healthz"
    ) as service:
        # Reads and probes fill the pool with read-only connections.
        for _ in range(5):
            httpx.get(f"{service.base_url}/v1/crossings", timeout=30)
            httpx.get(f"{service.base_url}/readyz", timeout=30)
        chmod_store(read_only_store, WRITABLE_FILE)
        wait_for(lambda: httpx.get(f"{service.base_url}/readyz", timeout=5).status_code == 200, 30)
        written = httpx.post(
            f"{service.base_url}/v1/crossings", headers=auth(), json=new_crossing(), timeout=30
        )

    assert written.status_code == 201, written.text


def set_read_only(engine: Engine, *, on: bool) -> None:
    """The database's default for the sessions that open from now on (PostgreSQL)."""
    value = "on" if on else "off"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # This session may have opened read-only itself, and ALTER is a write.
        conn.execute(text("SET default_transaction_read_only = off"))
        conn.execute(
            text(
                f'ALTER DATABASE "{engine.url.database}" '
                f"SET default_transaction_read_only = {value}"
            )
        )


def test_postgresql_sessions_opened_while_read_only_are_dropped(
    backend: str, seeded_fresh_engine: Engine
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's read-only file is tested on a served store above")
    engine = seeded_fresh_engine
    set_read_only(engine, on=True)
    engine.dispose()
    client = writable_client(engine)

    refused = client.post("/v1/crossings", headers=auth(), json=new_crossing())
    not_ready = client.get("/readyz")
    set_read_only(engine, on=False)
    written = client.post("/v1/crossings", headers=auth(), json=new_crossing())
    ready = client.get("/readyz")

    assert_problem(refused, 503)
    assert refused.json()["title"] == "Database read-only"
    assert written.status_code == 201, written.text
    assert not_ready.status_code == 503
    assert not_ready.json()["title"] == "Database read-only"
    assert ready.status_code == 200
