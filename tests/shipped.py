"""The service as `borderstatus serve` runs it (app.server's uvicorn settings), in a subprocess,
optionally under a command that runs it with fewer privileges."""

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.server import Service, wait_for

# Capabilities a root process is left without, so that file modes bind it as any user.
NO_DAC_OVERRIDE = ("--bounding-set", "-dac_override", "--inh-caps", "-dac_override")


class Shipped(Service):
    """`borderstatus serve` on a free port, under `prefix` (a command and its options)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log: Path,
        *,
        prefix: Sequence[str] = (),
        log_level: str = "warning",
    ) -> None:
        super().__init__({"LOG_LEVEL": log_level, **env}, log)
        self.prefix = list(prefix)

    def start(self) -> "Shipped":
        """Started once /healthz answers: /readyz may rightly say not ready."""
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
        healthz = f"{self.base_url}/healthz"
        wait_for(lambda: httpx.get(healthz, timeout=1).status_code == 200, self.start_deadline)
        return self

    def __enter__(self) -> "Shipped":
        return self.start()


def without_dac_override() -> list[str]:
    """The command prefix under which file modes bind this process's children: none when not
    root; as root, setpriv dropping CAP_DAC_OVERRIDE (skips the test without setpriv)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): file modes can't bind it")
    return [setpriv, *NO_DAC_OVERRIDE, "--"]
