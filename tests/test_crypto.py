"""Encryption at rest of the microdata store: no plaintext on disk, nothing readable without key."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from workbench import crypto, studies
from workbench.store import MicrodataStore

SECRET_ID = "LOG-0012345-XYZ"
SECRET_NAME = "Wattrelos-Beaulieu"
SECRET_NUMBER = 987654321


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    for var in ("WORKBENCH_DB_URL", "WORKBENCH_KEY_DIR", "WORKBENCH_STUDY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "analyste.test")
    return tmp_path


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "identifiant_logement": [SECRET_ID, "LOG-2"],
        "residence": [SECRET_NAME, "Autre"],
        "loyer_centimes": [SECRET_NUMBER, 1],
    })


def test_demo_study_created_with_french_notice_and_roundtrip(home: Path, capsys) -> None:
    store = MicrodataStore()
    store.write_vintage(2024, {"logements": _frame()}, {"source": "RPLS 2024"})
    assert "Étude de démonstration" in capsys.readouterr().err
    pd.testing.assert_frame_equal(store.read(2024, "logements"), _frame())
    assert store.meta(2024) == {"source": "RPLS 2024"}
    assert store.has(2024, "logements") and not store.has(2024, "absente")
    assert [s.name for s in studies.list_studies()] == [studies.DEMO_STUDY]
    assert list((home / "state" / "keys").glob("*.key"))


def test_bytes_on_disk_carry_no_plaintext(home: Path) -> None:
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {"fichier": SECRET_NAME})
    blobs = [p.read_bytes() for p in (home / "store").rglob("*") if p.is_file()]
    assert blobs
    needles = [SECRET_ID, SECRET_NAME, "identifiant_logement", "loyer_centimes", "PAR1"]
    needles_b = [n.encode() for n in needles] + [SECRET_NUMBER.to_bytes(8, "little")]
    for blob in blobs:
        for needle in needles_b:
            assert needle not in blob


def test_nothing_readable_without_key(home: Path) -> None:
    store = MicrodataStore()
    store.write_vintage(2024, {"logements": _frame()}, {})
    shutil.move(home / "state" / "keys", home / "elsewhere")
    with pytest.raises(crypto.CryptoError, match="introuvable"):
        MicrodataStore().read(2024, "logements")
    with pytest.raises(crypto.CryptoError, match="introuvable"):
        MicrodataStore().meta(2024)


def test_key_from_environment_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    key_file = next((home / "state" / "keys").glob("*.key"))
    monkeypatch.setenv(f"WORKBENCH_KEY_{key_file.stem.upper()}", key_file.read_text())
    key_file.unlink()
    assert MicrodataStore().read(2024, "logements")[  "identifiant_logement"][0] == SECRET_ID


def test_key_folder_outside_home(home: Path, tmp_path_factory, monkeypatch) -> None:
    keys = tmp_path_factory.mktemp("coffre")
    monkeypatch.setenv("WORKBENCH_KEY_DIR", str(keys))
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    assert list(keys.glob("*.key")) and not (home / "state" / "keys").exists()


def test_altered_or_swapped_file_refused(home: Path) -> None:
    store = MicrodataStore()
    store.write_vintage(2024, {"a": _frame(), "b": _frame().head(1)}, {})
    folder = home / "store" / "2024"
    (folder / "b.parquet.aes").write_bytes((folder / "a.parquet.aes").read_bytes())
    with pytest.raises(crypto.CryptoError, match="altéré"):
        store.read(2024, "b")
    blob = bytearray((folder / "a.parquet.aes").read_bytes())
    blob[-20] ^= 0x01
    (folder / "a.parquet.aes").write_bytes(bytes(blob))
    with pytest.raises(crypto.CryptoError, match="altéré"):
        store.read(2024, "a")


def test_reading_needs_habilitation(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studies.declare("Étude fragilité", "Qualifier la fragilité des résidences",
                    dt.date.today() + dt.timedelta(days=30), ["analyste.test"])
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    monkeypatch.setenv("WORKBENCH_USER", "partenaire.curieux")
    with pytest.raises(studies.StudyError, match="n'est pas habilité"):
        MicrodataStore().read(2024, "logements")


def test_ended_study_refuses_reading(home: Path) -> None:
    studies.declare("Étude courte", "Test", dt.date.today() + dt.timedelta(days=1), ["*"])
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    con = sqlite3.connect(home / "state" / "workbench.sqlite")
    con.execute("UPDATE studies SET end_date = '2020-01-01'")
    con.commit()
    with pytest.raises(studies.StudyError, match="terminée"):
        MicrodataStore().read(2024, "logements")


def test_several_studies_need_a_name(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    end = dt.date.today() + dt.timedelta(days=30)
    studies.declare("A", "Finalité A", end, ["*"])
    studies.declare("B", "Finalité B", end, ["*"])
    with pytest.raises(studies.StudyError, match="WORKBENCH_STUDY"):
        MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    monkeypatch.setenv("WORKBENCH_STUDY", "B")
    MicrodataStore().write_vintage(2024, {"logements": _frame()}, {})
    key_b = studies.get("B").key_id
    assert MicrodataStore().folders_of_key(key_b) == [home / "store" / "2024"]
