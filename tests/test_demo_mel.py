"""The MEL demo generator: files in the real formats with the promised properties.

Generated once at a reduced scale (fast) through the real command line; files are read back
with the libraries a user would use (pandas, openpyxl, odfpy, pyogrio).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import run_workbench

from workbench.dictionary import dictionary

SCALE = "0.12"
VINTAGES = (2022, 2023, 2024)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo_small")
    result = run_workbench("demo-data", "--home", str(home), "--echelle", SCALE, "--seed", "7",
                           home=home)
    assert "FICTIVES" in result.stdout
    return home / "sources"


def _rpls(sources: Path, year: int) -> pd.DataFrame:
    df = pd.read_csv(sources / str(year) / f"rpls_{year}.csv", sep=";", dtype=str,
                     keep_default_na=False)
    stock = dictionary().themes["stock"]
    return df.rename(columns={c: stock.column(c).name for c in df.columns})


def _occupation(sources: Path, year: int) -> pd.DataFrame:
    files = sorted((sources / str(year) / "occupation").iterdir())
    return pd.concat([pd.read_excel(f, sheet_name="occupation", dtype=str, engine="calamine")
                      for f in files],
                     ignore_index=True)


def test_layout_and_formats(demo: Path) -> None:
    geo = demo / "geographie"
    for name in ("communes.geojson", "iris.gpkg", "qpv.geojson", "bpe.csv"):
        assert (geo / name).stat().st_size > 0, name
    for year in VINTAGES:
        assert (demo / str(year) / f"rpls_{year}.csv").exists()
        assert (demo / str(year) / f"attributions_sne_{year}.csv").exists()
        suffixes = {f.suffix for f in (demo / str(year) / "occupation").iterdir()}
        assert suffixes == {".xlsx", ".ods"}
    header_2023 = (demo / "2023" / "rpls_2023.csv").open(encoding="utf-8").readline()
    header_2024 = (demo / "2024" / "rpls_2024.csv").open(encoding="utf-8").readline()
    assert '"DEPCOM_CODE"' in header_2023 and '"PLG_IRIS2022_CODE"' in header_2023
    assert '"DEPCOM"' in header_2024 and '"PLG_QP24"' in header_2024
    iris = gpd.read_file(geo / "iris.gpkg")
    assert iris.CODE_IRIS.nunique() == len(iris) > 500
    assert set(iris.INSEE_COM) == set(gpd.read_file(geo / "communes.geojson").code)


def test_rpls_values_follow_the_dictionary(demo: Path) -> None:
    stock = dictionary().themes["stock"]
    df = _rpls(demo, 2024)
    for col in stock.columns:
        if col.codes and col.name in df:
            values = set(df[col.name]) - {""}
            assert values <= set(col.codes), col.name
        if col.pattern and col.name in df:
            assert df[col.name].str.fullmatch(col.pattern).all(), col.name
    assert df.IDENT_REP.is_unique
    assert set(df.EPSG) == {"2154", "4326"}
    wgs = df[df.EPSG == "4326"]
    assert wgs.X.astype(float).between(2.7, 3.4).all() and wgs.Y.astype(float).between(50.4, 50.9).all()
    l93 = df[df.EPSG == "2154"]
    assert l93.X.astype(float).between(680_000, 730_000).all()


def test_qpv_cross_iris_and_commune_boundaries(demo: Path) -> None:
    qpv = gpd.read_file(demo / "geographie" / "qpv.geojson").to_crs(2154)
    iris = gpd.read_file(demo / "geographie" / "iris.gpkg").to_crs(2154)
    assert 20 <= len(qpv) <= 30
    assert qpv.lib_qp.str.startswith("QPV fictif").all()
    assert qpv.code_qp.str.fullmatch(r"QN\d{5}[A-Z0-9]{1,3}").all()
    hits = gpd.overlay(qpv[["code_qp", "geometry"]], iris[["CODE_IRIS", "INSEE_COM", "geometry"]])
    hits = hits[hits.area > 1000]
    per_qpv = hits.groupby("code_qp").agg(n_iris=("CODE_IRIS", "nunique"),
                                          n_com=("INSEE_COM", "nunique"))
    assert (per_qpv.n_iris > 1).any()
    assert (per_qpv.n_com > 1).any()


def test_residence_sizes_and_landlords(demo: Path) -> None:
    df = _rpls(demo, 2022)
    size = df.groupby(["DEPCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE", "RS"]).size()
    assert (size < 11).mean() > 0.25
    assert size.max() >= 100
    assert 10 <= df.RS.nunique() <= 20
    # Concentrated where the real stock is: Lille, Roubaix and Tourcoing lead.
    top = df.DEPCOM.value_counts().index[:3]
    assert set(top) == {"59350", "59512", "59599"}


def test_households_correlations_and_secrecy_traps(demo: Path) -> None:
    rpls = _rpls(demo, 2024)
    occ = _occupation(demo, 2024)
    merged = occ.merge(rpls[["IDENT_REP", "PLG_QP24", "CONSTRUCT", "DEPCOM", "NUMVOIE",
                             "TYPVOIE", "NOMVOIE", "RS"]], on="IDENT_REP")
    assert len(merged) >= len(occ) - 5  # only the few sold dwellings do not match
    resp = merged[merged.REPONDU == "O"].copy()
    in_qpv = resp.PLG_QP24 != ""
    old = resp.CONSTRUCT.astype(int) < 1975

    def share(mask: pd.Series, col: str, value: str) -> float:
        return float((resp.loc[mask, col] == value).mean())

    for col, value in (("APL", "O"), ("PLAFONDS", "<20"), ("SITUATION_FAMILIALE", "MONOPARENTALE")):
        assert share(in_qpv, col, value) > share(~in_qpv, col, value) + 0.03, col
        assert share(old, col, value) > share(~old, col, value), col
    # Response rate by résidence: some under 60 %.
    key = ["DEPCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE", "RS"]
    loue = merged[merged.OCCUPATION == "LOUE"]
    rate = loue.groupby(key).REPONDU.apply(lambda s: (s == "O").mean())
    big = loue.groupby(key).size() >= 11
    assert (rate[big] < 0.6).sum() >= 3
    # Résidences of 11+ respondents where everybody shares an attribute.
    groups = resp.groupby(key)
    uniform = groups.filter(lambda g: len(g) >= 11 and (
        g.APL.eq("O").all() or g.SITUATION_FAMILIALE.eq("SEUL").all()))
    assert len(uniform) > 0


def test_turnover_vacancy_and_attributions(demo: Path) -> None:
    r22, r23 = _rpls(demo, 2022), _rpls(demo, 2023)
    kept = set(r22.IDENT_REP) & set(r23.IDENT_REP)
    assert len(kept) / len(r22) > 0.95  # same dwellings, stable identifiers
    assert set(r23.IDENT_REP) - set(r22.IDENT_REP)  # a few new résidences
    vacant = r23.MODE.isin(["2"])
    assert 0.01 < vacant.mean() < 0.06
    assert (r23.loc[vacant, "DUREEVAC"] != "").all()
    moved = r23.BAIL.str.endswith("/2022")
    assert 0.04 < moved.mean() < 0.12
    att = pd.read_csv(demo / "2023" / "attributions_sne_2023.csv", sep=";", dtype=str,
                      keep_default_na=False)
    assert att.DATE_BAIL.str.endswith("/2022").all()
    assert abs(len(att) - moved.sum()) < 0.1 * moved.sum()
    assert att.IDENT_REP.eq("").any() and att.loc[att.IDENT_REP == "", "ADRESSE"].ne("").all()
    assert set(att.IDENT_REP) - {""} <= set(r23.IDENT_REP)
    codes = dictionary().themes["attributions"].codes
    assert set(att.QUARTILE) == set(codes["QUARTILE"])


def test_equipment_points(demo: Path) -> None:
    bpe = pd.read_csv(demo / "geographie" / "bpe.csv", sep=";", dtype={"DEPCOM": str})
    families = dictionary().themes["context"].raw["equipment_families"]
    assert set(bpe.TYPEQU) <= {t for types in families.values() for t in types}
    for types in families.values():
        assert bpe.TYPEQU.isin(types).sum() >= 5


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(demo: Path, tmp_path: Path) -> None:
    run_workbench("demo-data", "--home", str(tmp_path), "--echelle", SCALE, "--seed", "7",
                  home=tmp_path)
    assert _digest(tmp_path / "sources") == _digest(demo)
    other = tmp_path / "other"
    run_workbench("demo-data", "--home", str(other), "--echelle", SCALE, "--seed", "8",
                  "--vintages", "2024", home=other)
    assert _digest(other / "sources")["2024/rpls_2024.csv"] != _digest(demo)["2024/rpls_2024.csv"]


def test_real_size_magnitudes(tmp_path: Path) -> None:
    """Full MEL size, two vintages, without the (slow to write) occupation workbooks."""
    from workbench.demo.mel import generate_mel

    s = generate_mel(tmp_path / "sources", seed=2024, vintages=(2023, 2024), occupation=False)
    assert s.communes == 95 and s.iris > 500
    assert 20 <= s.qpv <= 30
    assert 200 <= s.equipment <= 1000
    assert s.dwellings[2023] >= 100_000
    assert 3_000 <= s.residences[2023] <= 4_000
    assert s.residences[2024] > s.residences[2023]
    for year in (2023, 2024):
        assert 6_500 <= s.attributions[year] <= 10_000, year
        assert 0.94 < s.households[year] / s.dwellings[year] < 0.99
    # Some communes meet the 25 % first-quartile target outside QPV, others miss it.
    att = pd.read_csv(tmp_path / "sources" / "2024" / "attributions_sne_2024.csv", sep=";",
                      dtype=str, keep_default_na=False)
    hors = att[att.EN_QPV == "N"]
    q1 = hors.assign(ok=(hors.QUARTILE == "1") | (hors.RELOGEMENT_ANRU == "O"))
    by_commune = q1.groupby("DEPCOM").ok.agg(["mean", "size"])
    by_commune = by_commune[by_commune["size"] >= 50]
    assert (by_commune["mean"] < 0.22).sum() >= 3 and (by_commune["mean"] >= 0.28).sum() >= 3


def test_refuses_a_folder_with_real_files(tmp_path: Path) -> None:
    real = tmp_path / "sources" / "2024" / "rpls_2024.csv"
    real.parent.mkdir(parents=True)
    real.write_text('"IDENT_REP"\n"0000000001"\n', encoding="utf-8")
    result = run_workbench("demo-data", "--home", str(tmp_path), "--echelle", "0.01",
                           home=tmp_path, check=False)
    assert result.returncode == 1
    assert "ne viennent pas du générateur" in result.stdout
    assert real.read_text(encoding="utf-8") == '"IDENT_REP"\n"0000000001"\n'


def test_demo_folder_is_labelled_fictional(demo: Path) -> None:
    marker = (demo / "LISEZMOI_DONNEES_FICTIVES.txt").read_text(encoding="utf-8")
    assert marker.startswith("DONNÉES FICTIVES")
