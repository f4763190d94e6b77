"""`workbench serve` as an administrator runs it: real command, real Voilà on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from workbench.serve import free_port

pytestmark = pytest.mark.server


@pytest.mark.timeout(120)
def test_serve_prints_french_address_serves_portal_and_stops_voila(demo_home) -> None:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "WORKBENCH_HOME": str(demo_home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "serve", "--port", str(port), "--no-open"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        assert re.search(r"Portail .* ouvert à l'adresse", line)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/static/voila.js", timeout=10):
            pass
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "Arrêt du portail." in out
    # the Voilà process group went with it: the port no longer answers
    time.sleep(0.5)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/static/voila.js", timeout=2)


def test_serve_without_published_base_explains_in_french(tmp_path) -> None:  # noqa: ANN001
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "serve", "--no-open"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "aucune base publiée" in result.stderr
    assert "workbench build --all" in result.stderr
