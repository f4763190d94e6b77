"""Batch reports on a tiny parameterised notebook over a small published base (real papermill,
real kernels, real nbconvert, real Chromium, real Dask LocalCluster on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from workbench.config import source_mention
from workbench.reports import plan_batch, run_batch

TINY = Path(__file__).parent / "data" / "notebooks" / "tiny_report.ipynb"
COMMUNES = {
    "59350": ("Lille", 1234.0),
    "59512": ("Roubaix", 987.0),
    "59599": ("Tourcoing", 555.0),
    "59999": ("Commune sans indicateur", None),
}


def _write_base(home: Path, vintage: int = 2024, lille_value: float = 1234.0) -> None:
    folder = home / "published" / str(vintage)
    folder.mkdir(parents=True, exist_ok=True)
    areas = pd.DataFrame(
        [
            {"area_id": code, "scale": "commune", "name": name, "epci": "200093201",
             "commune": code, "qpv": None}
            for code, (name, _) in COMMUNES.items()
        ]
    )
    areas.to_parquet(folder / "areas.parquet")
    rows = []
    for code, (_, value) in COMMUNES.items():
        if value is None:
            continue
        if code == "59350":
            value = lille_value
        rows.append(dict(indicator="logements", area_id=code, value=value, status="published"))
        rows.append(dict(indicator="revenus", area_id=code, value=None, status="below_threshold"))
    ind = pd.DataFrame(rows).assign(vintage=vintage, theme="stock", category="", scale="commune")
    ind.to_parquet(folder / "indicators.parquet")
    checksums = {"indicators.parquet": str(hash((lille_value,))), "areas.parquet": "a"}
    (folder / "manifest.json").write_text(json.dumps({"vintage": vintage, "checksums": checksums}))


@pytest.fixture()
def tiny_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    _write_base(tmp_path)
    return tmp_path


def _html(batch, territory: str) -> str:
    result = next(r for r in batch.results if r.job.territory == territory)
    return Path(next(f for f in result.files if f.endswith(".html"))).read_text("utf-8")


def test_batch_writes_one_report_per_territory_and_lists_failures(tiny_home: Path) -> None:
    jobs = plan_batch(2024, "diagnostic", "commune", notebook=TINY)
    assert [j.territory for j in jobs] == sorted(COMMUNES)
    batch = run_batch(jobs, workers=2)
    statuses = {r.job.territory: r.status for r in batch.results}
    assert statuses == {"59350": "ok", "59512": "ok", "59599": "ok", "59999": "failed"}
    for code, (name, value) in COMMUNES.items():
        if value is None:
            continue
        page = _html(batch, code)
        assert name in page and f"logements : {value:g}" in page
        assert source_mention() in page
        assert "secret (below_threshold)" in page
        assert "import pandas" not in page  # code hidden
    failed = batch.failed[0]
    assert "ValueError" in failed.error and "Aucun indicateur pour 59999" in failed.error
    assert not list(batch.folder.glob("*59999*.html"))
    index = batch.index.read_text("utf-8")
    assert "Aucun indicateur pour 59999" in index and source_mention() in index
    for r in batch.executed:
        assert f'href="{Path(r.files[0]).name}"' in index
    log = json.loads((batch.folder / "batch.json").read_text("utf-8"))
    assert {r["territory"]: r["status"] for r in log["reports"]} == statuses
    from workbench.register import entries_frame, verify

    register = entries_frame()
    assert len(register) == 1 and register.iloc[0].tolist().count("report") == 1
    assert "1 échec(s) : 59999" in register.iloc[0].tolist()
    assert verify().ok


def test_rerun_is_incremental(tiny_home: Path) -> None:
    only = ["59350", "59512"]
    first = run_batch(plan_batch(2024, only=only, notebook=TINY), workers=2)
    assert len(first.executed) == 2
    again = run_batch(plan_batch(2024, only=only, notebook=TINY), workers=2)
    assert [r.status for r in again.results] == ["skipped", "skipped"]
    assert "logements : 1234" in _html(again, "59350")
    # A new published base changes every key: Lille's new figure must appear.
    _write_base(tiny_home, lille_value=4321.0)
    third = run_batch(plan_batch(2024, only=only, notebook=TINY), workers=2)
    assert [r.status for r in third.results] == ["ok", "ok"]
    assert "logements : 4321" in _html(third, "59350")
    forced = run_batch(plan_batch(2024, only=["59512"], notebook=TINY), force=True)
    assert [r.status for r in forced.results] == ["ok"]


def test_dask_local_cluster(tiny_home: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
        processes=True,
    ) as cluster:
        batch = run_batch(
            plan_batch(2024, only=["59350", "59512", "59999"], notebook=TINY),
            scheduler=cluster.scheduler_address,
        )
    assert {r.job.territory: r.status for r in batch.results} == {
        "59350": "ok", "59512": "ok", "59999": "failed"
    }
    assert "logements : 987" in _html(batch, "59512")


def test_pdf_through_chromium(tiny_home: Path) -> None:
    batch = run_batch(plan_batch(2024, only=["59599"], fmt="pdf", notebook=TINY), workers=1)
    (result,) = batch.results
    assert result.status == "ok", result.error
    pdf = next(Path(f) for f in result.files if f.endswith(".pdf"))
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/Type\s*/Page\b", data)  # at least one printed page
    # The PDF is printed from the HTML beside it, which holds the report's figures.
    assert "logements : 555" in _html(batch, "59599")


def test_cli_exits_non_zero_when_a_report_fails(tiny_home: Path) -> None:
    env = {**os.environ, "WORKBENCH_HOME": str(tiny_home)}
    cmd = [sys.executable, "-m", "workbench.cli", "report", "--vintage", "2024",
           "--notebook", str(TINY), "--only", "59350", "--only", "59999", "--workers", "2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "59999" in proc.stdout and "Aucun indicateur" in proc.stdout
    assert "1 produit(s)" in proc.stdout
    bad = subprocess.run([*cmd[:8], "--only", "00000"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "Territoire(s) inconnu(s)" in bad.stdout
