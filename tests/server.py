"""The real service, as `borderstatus serve` starts it, in a subprocess, for the tests that
load it, stop it or kill it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from app.config import PROJECT_ROOT
from app.db.engine import make_engine
from app.db.migrations import migrate
from app.seed.sync import seed
from tests.conftest import SEED_DIR, TOKENS
from tests.pgserver import free_port


def wait_for(condition: Callable[[], object], deadline: float) -> float:
    """Poll `condition()` until true; the seconds it took. Fails after `deadline` seconds."""
    start = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        if time.monotonic() - start > deadline:
            raise AssertionError(f"not within {deadline} s")
        time.sleep(0.05)


def seeded_sqlite(path: Path) -> Path:
    """A SQLite store at `path`, migrated and seeded from seed_data/."""
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url, pool_size=1)
    seed(engine, SEED_DIR)
    engine.dispose()
    return path


def curated(store: Path) -> dict[str, str]:
    """The environment of a service on the SQLite `store` that takes alice's writes, at any
    rate."""
    return {
        "DATABASE_URL": f"sqlite:///{store}",
        "CURATOR_TOKENS": f"alice:{TOKENS['alice']}",
        "WRITE_RATE_LIMIT": "100000/minute",
    }


class Service:
    """The service as `borderstatus serve` runs it (app.server's uvicorn settings, as `make run`
    and the container), on a free port with `env` added, its output in `log`; under `prefix`
    (a command and its options) when given. Started once `ready` answers 200."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        start_deadline: float = 30,
        prefix: Sequence[str] = (),
        ready: str = "/readyz",
    ) -> None:
        self.env = {**os.environ, "LOG_LEVEL": "warning", **env}
        self.log_path = log
        self.start_deadline = start_deadline
        self.prefix = list(prefix)
        self.ready = ready
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        serve = "from app.cli import main; main()"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *self.prefix,
                    *(sys.executable, "-c", serve, "serve"),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                ],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = f"{self.base_url}{self.ready}"
        wait_for(lambda: httpx.get(ready, timeout=1).status_code == 200, self.start_deadline)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no clean-up, as a crash or the OOM killer would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> "Service":
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()
