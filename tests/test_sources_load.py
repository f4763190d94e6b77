"""Loading into the real (encrypted) microdata store: tables, atomic replacement, CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.sources import SourceError
from workbench.sources.load import load_all, load_vintage
from workbench.store import SHARED, MicrodataStore

DATA = Path(__file__).parent / "data" / "sources"


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    shutil.copytree(DATA, tmp_path / "sources")
    return tmp_path


def test_load_all_writes_the_contract_tables(home):
    store = MicrodataStore(home / "store")
    summary = load_all(home / "sources", store)
    assert [s.vintage for s in summary.vintages] == [2023, 2024]
    assert store.vintages() == [2023, 2024]
    assert all(store.has(SHARED, n) for n in ("communes", "iris", "qpv", "equipements"))
    lg = store.read(2023, "logements")
    assert {"residence_id", "code_iris", "code_qp", "x_l93", "y_l93", "lon", "lat"} <= set(lg.columns)
    res = store.read(2023, "residences")
    assert res["nb_logements"].sum() == len(lg) == 5
    assert set(lg["residence_id"]) == set(res["residence_id"])
    occ = store.read(2023, "occupation")
    assert occ["residence_id"].isin(res["residence_id"]).all()
    att = store.read(2023, "attributions")
    assert {"residence_id", "annee"} <= set(att.columns)
    s23 = summary.vintages[0]
    # 5 let dwellings in the two files, one (Z999999999) unknown to RPLS: 4 households, of
    # which A000000003 did not answer.
    assert (s23.menages, s23.repondants) == (4, 3)
    assert s23.attributions_par_annee == {2021: 1, 2022: 6}
    meta = store.meta(2023)
    assert {m["file"] for m in meta["sources"]} >= {"rpls_2023.csv", "attributions_sne_2023.csv"}
    assert all(len(m["sha256"]) == 64 for m in meta["sources"])
    assert meta["row_counts"]["logements"] == 5
    rows = {m["file"]: m["rows"] for m in meta["sources"]}
    assert (rows["bailleur-un.xlsx"], rows["bailleur-deux.ods"]) == (4, 2)
    assert {w["kind"] for w in meta["warnings"]} >= {"dpe_vide", "occupation_non_rapprochee"}


def test_rejected_file_leaves_the_loaded_vintage_intact(home):
    store = MicrodataStore(home / "store")
    load_all(home / "sources", store)
    before = store.read(2023, "logements")
    sne = home / "sources" / "2023" / "attributions_sne_2023.csv"
    sne.write_text(sne.read_text(encoding="utf-8").replace('"DALO"', '"URGENT"'), encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        load_vintage(home / "sources", 2023, store)
    assert exc.value.column == "PRIORITE"
    assert store.read(2023, "logements").equals(before)
    assert len(store.read(2023, "attributions")) == 7


def test_attributions_match_dwellings_of_another_loaded_vintage(home):
    store = MicrodataStore(home / "store")
    load_all(home / "sources", store)
    # A000000003 exists in 2023 only; an attribution of 2024 citing it is still tied to it.
    src = home / "sources"
    text = (src / "2023" / "attributions_sne_2023.csv").read_text(encoding="utf-8")
    text = text.replace("2022-", "2023-").replace("/2022", "/2023").replace('"B000000009"', '"A000000003"')
    (src / "2024" / "attributions_sne_2024.csv").write_text(text, encoding="utf-8")
    load_vintage(src, 2024, store)
    att = store.read(2024, "attributions").set_index("ID_ATTRIBUTION")
    lg23 = store.read(2023, "logements").set_index("IDENT_REP")
    assert att.loc["SNE-2023-0004", "residence_id"] == lg23.loc["A000000003", "residence_id"]


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_USER": "tests"}
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", "load", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )


def test_cli_prints_a_french_summary_and_rejects_bad_files(home):
    ok = run_cli(home, "--all")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Millésime 2023 chargé" in ok.stdout and "Taux de réponse" in ok.stdout
    assert "75,0 %" in ok.stdout  # 3 respondents out of 4 households
    rpls = home / "sources" / "2024" / "rpls_2024.csv"
    rpls.write_text(rpls.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")
    bad = run_cli(home, "--vintage", "2024")
    assert bad.returncode == 1
    assert "rpls_2024.csv" in bad.stdout and "séparateur" in bad.stdout
    none = run_cli(home)
    assert none.returncode == 2 and "Aucun millésime" in none.stdout


def test_loading_a_vintage_again_replaces_it(home):
    store = MicrodataStore(home / "store")
    load_all(home / "sources", store)
    rpls = home / "sources" / "2024" / "rpls_2024.csv"
    lines = rpls.read_text(encoding="utf-8").splitlines()
    rpls.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # drop the last dwelling
    summary = load_vintage(home / "sources", 2024, store)
    assert summary.logements == 2
    assert store.read(2024, "logements")["IDENT_REP"].tolist() == ["A000000001", "A000000002"]
    assert store.meta(2024)["row_counts"]["logements"] == 2
