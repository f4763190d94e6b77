"""Where the workbench keeps its files, and the settings an administrator may change.

Everything lives under one home folder (``WORKBENCH_HOME``, default ``var/`` at the project
root) so that a test or a deployment can point the whole workbench elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DICTIONARY_DIR = PROJECT_ROOT / "data_dictionary"
GEOGRAPHY_DIR = PROJECT_ROOT / "data" / "mel"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
DASHBOARDS_DIR = PROJECT_ROOT / "dashboards"

SOURCE_MENTION = (
    "Source : Portail cartographique des logements locatifs sociaux "
    "de la Métropole Européenne de Lille"
)


@dataclass(frozen=True)
class Paths:
    """The folders of one workbench home."""

    home: Path

    @property
    def sources(self) -> Path:
        """Input files as their producers ship them (the demo writes here)."""
        return self.home / "sources"

    @property
    def store(self) -> Path:
        """Restricted microdata store, one folder per vintage."""
        return self.home / "store"

    @property
    def published(self) -> Path:
        """Published base: safe aggregates only, one folder per vintage."""
        return self.home / "published"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def state(self) -> Path:
        """Accounts database, processing register, keys."""
        return self.home / "state"


def home() -> Path:
    return Path(os.environ.get("WORKBENCH_HOME", PROJECT_ROOT / "var")).resolve()


def paths() -> Paths:
    return Paths(home())


def source_mention() -> str:
    """The mandatory mention on every export and report (configurable by environment)."""
    return os.environ.get("WORKBENCH_SOURCE_MENTION", SOURCE_MENTION)
