"""Shared fixtures: the demo pipeline run once per test session into a temporary home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKBENCH = [sys.executable, "-m", "workbench.cli"]


def run_workbench(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real `workbench` command line against a given home."""
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_USER": "tests"}
    return subprocess.run(
        [*WORKBENCH, *args], env=env, capture_output=True, text=True, check=check, timeout=1800
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the demo pipeline's published base carry the ``demo`` marker (``make test-demo``)."""
    for item in items:
        if "demo_home" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.demo)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding the demo sources, microdata store and published base (all vintages).

    Set WORKBENCH_TEST_HOME to reuse an already built home while developing.
    """
    reuse = os.environ.get("WORKBENCH_TEST_HOME")
    if reuse:
        home = Path(reuse)
    else:
        home = tmp_path_factory.mktemp("demo_home")
    if not (home / "published").exists():
        scale = os.environ.get("WORKBENCH_TEST_SCALE", "0.05")  # a reduced demo keeps the build short
        for step in (("demo-data", "--echelle", scale), ("load", "--all"), ("build", "--all")):
            result = run_workbench(*step, home=home, check=False)
            assert result.returncode == 0, (
                f"`workbench {' '.join(step)}` a échoué :\n{result.stdout}\n{result.stderr}"
            )
    previous = os.environ.get("WORKBENCH_HOME")
    os.environ["WORKBENCH_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("WORKBENCH_HOME", None)
    else:
        os.environ["WORKBENCH_HOME"] = previous
