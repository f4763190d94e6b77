"""Start the Voilà dashboards on 127.0.0.1 over the current home's published base.

One place knows how to launch Voilà so that ``workbench serve``, the browser tests and the
browser bench all run the same server: its own process group (kernels die with it), the
configuration of ``dashboards/voila.json`` (light theme, no code, culling of idle kernels),
and readiness detected on a static file (polling ``/`` would start a kernel).

API::

    server = VoilaServer(port=0)     # 0 picks a free port
    server.start(); server.wait_ready()
    server.url                       # "http://127.0.0.1:PORT/"
    server.stop()                    # kills the whole process group
    with VoilaServer() as server: ...
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from workbench.config import DASHBOARDS_DIR, home

HOST = "127.0.0.1"
APP = "portail.ipynb"
READY_PATH = "voila/static/voila.js"


class ServeError(RuntimeError):
    """Voilà could not be started (French message)."""


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def voila_command(port: int, app: Path, extra: list[str] | None = None) -> list[str]:
    """The Voilà command line: same interpreter as the workbench, bound to 127.0.0.1 only."""
    return [
        sys.executable, "-m", "voila", str(app),
        "--no-browser", f"--port={port}", f"--Voila.ip={HOST}",
        *(extra or []),
    ]


class VoilaServer:
    """A Voilà server process serving one dashboard notebook."""

    def __init__(
        self,
        port: int = 0,
        app: str = APP,
        workbench_home: Path | None = None,
        extra_args: list[str] | None = None,
        log_path: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.app = DASHBOARDS_DIR / app
        self.workbench_home = Path(workbench_home) if workbench_home else home()
        self.extra_args = extra_args or []
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> VoilaServer:
        if not self.app.exists():
            raise ServeError(f"tableau de bord introuvable : {self.app}")
        env = {
            **os.environ,
            "WORKBENCH_HOME": str(self.workbench_home),
            "MPLBACKEND": "Agg",
            **self.extra_env,
        }
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            voila_command(self.port, self.app, self.extra_args),
            cwd=DASHBOARDS_DIR,  # Voilà reads voila.json from its working directory
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills kernels too
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Block until Voilà serves its static files; returns the seconds waited."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise ServeError(
                    f"Voilà s'est arrêté au démarrage (code {self.process.returncode})"
                )
            try:
                with urllib.request.urlopen(self.url + READY_PATH, timeout=2) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise ServeError(f"Voilà ne répond pas sur {self.url} après {timeout:.0f} s")

    def stop(self) -> None:
        """Kill Voilà and its kernels (the whole process group)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self.process = None

    def __enter__(self) -> VoilaServer:
        self.start()
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
