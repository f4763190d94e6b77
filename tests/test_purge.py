"""Purge at the end of a study: microdata, intermediate files and key destroyed, aggregates kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from workbench import crypto, register, studies
from workbench.store import MicrodataStore


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    for var in ("WORKBENCH_DB_URL", "WORKBENCH_KEY_DIR", "WORKBENCH_STUDY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "admin.mel")
    return tmp_path


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"identifiant": [f"L{i}" for i in range(n)], "loyer": range(n)})


def test_purge_destroys_study_and_keeps_the_rest(home: Path) -> None:
    end = dt.date.today() + dt.timedelta(days=90)
    a = studies.declare("Étude A", "Diagnostic", end, ["admin.mel"])
    b = studies.declare("Étude B", "Attributions", end, ["admin.mel"])
    MicrodataStore(study="Étude A").write_vintage(2023, {"logements": _frame(5)}, {})
    MicrodataStore(study="Étude A").write_vintage("shared", {"iris": _frame(3)}, {})
    MicrodataStore(study="Étude B").write_vintage(2024, {"logements": _frame(7)}, {})
    (studies.workspace("Étude A") / "brouillon.csv").write_text("identifiant\nL1\n")
    published = home / "published" / "2023"
    published.mkdir(parents=True)
    (published / "indicators.parquet").write_bytes(b"agregats")
    backup = (home / "store" / "2023" / "logements.parquet.aes").read_bytes()

    report = studies.purge("Étude A")

    assert report.key_shredded
    assert report.files == 5  # 2 tables + 2 metadata + 1 intermediate file
    assert not (home / "store" / "2023").exists()
    assert not (home / "store" / "shared").exists()
    assert not crypto.key_path(a.key_id).exists()
    assert not list((home / "studies").glob("*"))
    assert (published / "indicators.parquet").read_bytes() == b"agregats"
    assert len(MicrodataStore().read(2024, "logements")) == 7
    assert crypto.key_path(b.key_id).exists()
    # A copy kept elsewhere (a backup) is unreadable: its key is gone.
    with pytest.raises(crypto.CryptoError, match="introuvable"):
        crypto.decrypt(backup, "logements")
    restored = home / "store" / "2023"
    restored.mkdir()
    (restored / "logements.parquet.aes").write_bytes(backup)
    with pytest.raises(studies.StudyError, match="purgée"):
        MicrodataStore().read(2023, "logements")
    # The purge is in the register, and the register is intact.
    frame = register.entries_frame()
    purges = frame[frame["Opération"] == "purge"]
    assert list(purges["Résultat"]) == ["demandée", "détruit"]
    assert purges["Personne"].eq("admin.mel").all()
    assert "Étude A" in purges["Données concernées"].iloc[-1]
    assert register.verify().ok
    with pytest.raises(studies.StudyError, match="déjà été purgée"):
        studies.purge("Étude A")
    assert not studies.get("Étude A").active
