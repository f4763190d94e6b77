"""The peer benchmark's tables and drivers on the small case (bench/, docs: peers.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_secrecy_peers as peers  # noqa: E402
from peer_tables import (  # noqa: E402
    PeerCase,
    engine_table,
    full_table,
    generate,
    withheld_on_engine,
)


@pytest.fixture(scope="module")
def small() -> PeerCase:
    return generate("small")


def _single_iris(case: PeerCase) -> pd.Series:
    sizes = case.hierarchy.groupby("commune")["iris"].transform("size")
    return case.hierarchy[sizes == 1].set_index("commune")["iris"]


def test_small_case_has_the_sizes_of_peers_md(small: PeerCase) -> None:
    assert small.hierarchy["commune"].nunique() == 95
    assert len(small.hierarchy) == 500
    assert len(small.inner) == 3000
    assert len(full_table(small)) == 4193
    again = generate("small")
    pd.testing.assert_frame_equal(again.inner, small.inner)
    assert not generate("small", seed=1).inner["count"].equals(small.inner["count"])


def test_full_table_adds_up(small: PeerCase) -> None:
    full = full_table(small).set_index(["region", "category"])["count"]
    inner = small.inner.merge(small.hierarchy, on="iris")
    assert full[("Total", "Total")] == small.inner["count"].sum()
    by_commune = inner.groupby(["commune", "category"])["count"].sum()
    assert (full.loc[by_commune.index] == by_commune).all()
    epci = inner.groupby("epci")["count"].sum()
    assert all(full[(e, "Total")] == v for e, v in epci.items())


def test_engine_table_merges_single_iris_communes(small: PeerCase) -> None:
    table = engine_table(small)  # CellTable checks every constraint against the values
    single = _single_iris(small)
    assert table.n == 4193 - 7 * len(single)
    assert not table.labels["region"].isin(single.to_numpy()).any()
    primary = table.primary != ""
    assert (primary == ((table.values >= 1) & (table.values < 11))).all()


def test_merged_cell_is_withheld_only_under_both_names(small: PeerCase) -> None:
    table = engine_table(small)
    commune, iris = next(iter(_single_iris(small).items()))
    cell = np.flatnonzero((table.labels["region"] == commune) & (table.labels["category"] == "cat1"))
    one = pd.DataFrame({"region": [commune], "category": ["cat1"]})
    both = pd.DataFrame({"region": [commune, iris], "category": ["cat1", "cat1"]})
    assert not withheld_on_engine(table, one)[cell].any()
    assert withheld_on_engine(table, both)[cell].all()
    assert withheld_on_engine(table, both).sum() == 1


def test_tauargus_output_is_read_back(small: PeerCase, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("pytauargus", reason="pytauargus absent : extra `bench` non installé")
    monkeypatch.chdir(tmp_path)
    out = peers.run_tauargus(small)
    assert Path.cwd() == tmp_path and os.listdir(tmp_path) == []  # nothing left behind
    truth = full_table(small).merge(out, on=["region", "category"], suffixes=("", "_tau"))
    assert len(truth) == 4193
    assert (truth["count"] == truth["count_tau"]).all()
    below = (truth["count"] >= 1) & (truth["count"] < 11)
    assert ((truth["status"] == "primary") == below).all()
    assert (truth["status"] == "secondary").sum() > 0
    # Every τ-Argus secondary lands on an engine cell unless published under its other name.
    table = engine_table(small)
    withheld = withheld_on_engine(table, out[out["status"] != "published"])
    assert withheld.sum() <= (out["status"] != "published").sum()
    assert withheld[table.primary != ""].all()


def test_acro_output_is_read_back(small: PeerCase) -> None:
    pytest.importorskip("acro", reason="acro absent : extra `bench` non installé")
    keep = small.hierarchy.iloc[:15]
    part = PeerCase("part", keep, small.inner[small.inner["iris"].isin(keep["iris"])])
    out = peers.run_acro(part)
    assert len(out) == 6 * (15 + keep["commune"].nunique() + keep["epci"].nunique())
    below = (out["count"] >= 1) & (out["count"] < 11)
    assert ((out["status"] == "primary") == below).all()
