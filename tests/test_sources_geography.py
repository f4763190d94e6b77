"""Geography: contours in GeoPackage, GeoJSON and Shapefile, BPE points, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from workbench.sources import SourceError
from workbench.sources.geography import read_bpe, read_contours, read_geography

GEO = Path(__file__).parent / "data" / "sources" / "geographie"


def test_all_layers_in_wgs84_with_store_columns():
    t = read_geography(GEO).tables
    assert list(t["communes"].columns) == ["code", "nom", "geometry_wkb", "epci", "epci_nom"]
    assert t["communes"]["epci"].tolist() == ["200093201", "200093201"]  # from the COG table
    assert set(t["iris"].columns) == {"code_iris", "code_commune", "nom_iris", "typ_iris", "geometry_wkb"}
    # iris.gpkg and qpv.shp are stored in Lambert-93: they come back in lon/lat
    for name in ("iris", "qpv"):
        x0, y0, x1, y1 = shapely.total_bounds(shapely.from_wkb(t[name]["geometry_wkb"]))
        assert 2.9 < x0 < x1 < 3.3 and 50.5 < y0 < y1 < 50.8
    assert t["qpv"]["communes"].tolist() == ["59350"]


def test_qpv_communes_found_by_intersection_when_not_listed(tmp_path):
    for p in GEO.iterdir():
        shutil.copy(p, tmp_path / p.name)
    q = gpd.read_file(GEO / "qpv.shp").drop(columns="insee_com")
    # stretch the QPV across the Lille / Roubaix border of the fixture communes
    q["geometry"] = [shapely.box(3.09, 50.65, 3.14, 50.67)]
    q = q.set_crs(4326, allow_override=True)
    for ext in ("shp", "shx", "dbf", "prj", "cpg"):
        (tmp_path / f"qpv.{ext}").unlink()
    q.to_file(tmp_path / "qpv.geojson", driver="GeoJSON")
    t = read_geography(tmp_path).tables
    assert t["qpv"]["communes"].tolist() == ["59350|59512"]


def test_bpe_keeps_followed_families_and_projects():
    eq, warnings = read_bpe(GEO / "bpe.csv")
    assert eq["famille"].tolist() == ["ecole", "transport", "sante"]
    assert ((eq["lon"] > 3.0) & (eq["lon"] < 3.2) & (eq["lat"] > 50.6) & (eq["lat"] < 50.7)).all()
    (w,) = warnings
    assert w.count == 1 and w.examples == ["A101"]


def test_bad_iris_code(tmp_path):
    g = gpd.read_file(GEO / "iris.gpkg")
    g.loc[1, "CODE_IRIS"] = "59512-201"
    g.to_file(tmp_path / "iris.gpkg", driver="GPKG")
    with pytest.raises(SourceError) as exc:
        read_contours(tmp_path / "iris.gpkg", "iris")
    e = exc.value
    assert (e.file, e.row, e.column, e.value) == ("iris.gpkg", 3, "CODE_IRIS", "59512-201")


def test_duplicate_commune(tmp_path):
    g = gpd.read_file(GEO / "communes.geojson")
    g.loc[1, "code"] = "59350"
    g.to_file(tmp_path / "communes.geojson", driver="GeoJSON")
    with pytest.raises(SourceError) as exc:
        read_contours(tmp_path / "communes.geojson", "communes")
    assert (exc.value.row, exc.value.column, exc.value.value) == (3, "code", "59350")


def test_unreadable_layer(tmp_path):
    (tmp_path / "qpv.geojson").write_text("{pas du json", encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_contours(tmp_path / "qpv.geojson", "qpv")
    assert "illisible" in str(exc.value)


def test_missing_communes_layer(tmp_path):
    with pytest.raises(SourceError) as exc:
        read_geography(tmp_path)
    assert "communes" in exc.value.expected


def test_bpe_coordinates_out_of_bounds(tmp_path):
    text = (GEO / "bpe.csv").read_text(encoding="utf-8").replace("7066100", "66100")
    (tmp_path / "bpe.csv").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_bpe(tmp_path / "bpe.csv")
    assert (exc.value.row, exc.value.column) == (3, "LAMBERT_Y")


def test_iris_with_ign_2024_lowercase_names_and_corsican_codes(tmp_path):
    g = gpd.read_file(GEO / "iris.gpkg").rename(
        columns={"CODE_IRIS": "code_iris", "INSEE_COM": "code_insee", "NOM_COM": "nom_commune",
                 "NOM_IRIS": "nom_iris", "TYP_IRIS": "type_iris"}
    )
    g.loc[2, ["code_iris", "code_insee"]] = ["2A0040101", "2A004"]
    g.to_file(tmp_path / "iris.gpkg", driver="GPKG")
    out = read_contours(tmp_path / "iris.gpkg", "iris")
    assert out["CODE_IRIS"].tolist() == ["593500101", "595120201", "2A0040101"]
    assert out["TYP_IRIS"].tolist() == ["H", "H", "A"]
