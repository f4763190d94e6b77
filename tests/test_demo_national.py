"""The national-size option, on one fictional département (the full size lives in bench/)."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
from conftest import run_workbench

from workbench.demo.national import DEPARTEMENTS, DWELLINGS_PER_DEPT, GRID, generate_national
from workbench.dictionary import dictionary


def test_departements_give_valid_commune_codes() -> None:
    d = dictionary()
    patterns = [d.themes["attributions"].column("DEPCOM").pattern,
                d.themes["stock"].column("DEPCOM").pattern]
    assert len(DEPARTEMENTS) * DWELLINGS_PER_DEPT > 5_300_000
    assert len(DEPARTEMENTS) * GRID * GRID > 34_000
    for dep in DEPARTEMENTS:
        for pattern in patterns:
            assert re.fullmatch(pattern, f"{dep}{GRID * GRID:03d}"), dep


def test_one_departement_in_the_real_formats(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    s = generate_national(sources, seed=3, vintages=(2024,), scale=0.01)
    assert s.communes == GRID * GRID
    assert s.iris > s.communes  # populous communes are cut into IRIS
    assert s.qpv >= 3
    assert abs(s.dwellings[2024] - DWELLINGS_PER_DEPT) < 0.05 * DWELLINGS_PER_DEPT
    rpls = pd.read_csv(sources / "2024" / "rpls_2024.csv", sep=";", dtype=str,
                       keep_default_na=False)
    assert len(rpls) == s.dwellings[2024] and rpls.IDENT_REP.is_unique
    stock = dictionary().themes["stock"]
    for name in ("IDENT_REP", "DEPCOM", "PLG_IRIS2024_CODE", "PLG_QP24"):
        assert rpls[name].str.fullmatch(stock.column(name).pattern).all(), name
    iris = gpd.read_file(sources / "geographie" / "iris.gpkg")
    assert set(rpls.PLG_IRIS2024_CODE) <= set(iris.CODE_IRIS)
    qpv = gpd.read_file(sources / "geographie" / "qpv.geojson").to_crs(2154)
    assert (rpls.PLG_QP24 != "").mean() > 0.05
    assert set(rpls.PLG_QP24) - {""} <= set(qpv.code_qp)
    # Each QPV straddles IRIS boundaries (drawn on IRIS corners).
    hits = gpd.overlay(qpv[["code_qp", "geometry"]], iris.to_crs(2154)[["CODE_IRIS", "geometry"]])
    assert (hits[hits.area > 1000].groupby("code_qp").size() > 1).all()
    assert s.attributions[2024] > 0.04 * s.dwellings[2024]
    assert len(list((sources / "2024" / "occupation").iterdir())) >= 10
    # The real loader accepts the files.
    loaded = run_workbench("load", "--all", home=tmp_path, check=False)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
