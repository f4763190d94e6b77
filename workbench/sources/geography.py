"""Geography shared by all vintages: communes, IRIS, QPV contours and BPE equipment points.

Contours come as GeoPackage, GeoJSON or Shapefile (IGN CONTOURS-IRIS, Admin Express, ANCT QPV)
and are stored in WGS84 as WKB; equipment points come from the BPE CSV in Lambert-93 and keep
only the types the dictionary groups into families (the real BPE lists ~190 types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from workbench.config import GEOGRAPHY_DIR
from workbench.dictionary import Column, Dictionary, dictionary
from workbench.sources.errors import LoadWarning, Problem, SourceError, reject
from workbench.sources.reading import read_csv_chunks
from workbench.sources.validate import check_frame, duplicates, plain_strings, resolve_columns

CONTOUR_FORMATS = (".gpkg", ".geojson", ".json", ".shp")
EPCI_FIELDS = ("epci", "epci_siren", "siren_epci", "SIREN_EPCI", "CODE_EPCI")
EPCI_NAME_FIELDS = ("epci_nom", "nom_epci", "NOM_EPCI", "lib_epci")


@dataclass
class GeographyResult:
    tables: dict[str, pd.DataFrame]
    files: list[Path]
    warnings: list[LoadWarning] = field(default_factory=list)


def find_layer(folder: Path, stem: str) -> Path | None:
    """``<stem>.gpkg|.geojson|.json|.shp`` in ``folder`` (first found in that order)."""
    for ext in CONTOUR_FORMATS:
        p = folder / f"{stem}{ext}"
        if p.exists():
            return p
    return None


def read_contours(path: Path, file_key: str, d: Dictionary | None = None) -> gpd.GeoDataFrame:
    """A contour layer checked against ``context.files.<file_key>``, in WGS84, canonical names."""
    d = d or dictionary()
    columns = d.themes["context"].file_columns(file_key)
    if not path.exists():
        raise reject(path, "un fichier présent à cet emplacement", f"fichier introuvable : {path}")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and assorted GDAL errors
        raise reject(
            path, "une couche GeoPackage, GeoJSON ou Shapefile lisible",
            f"fichier illisible ({type(exc).__name__})",
        ) from exc
    mapping = resolve_columns([str(c) for c in gdf.columns], columns, path.name)
    text = pd.DataFrame(
        {name: gdf[src].map(_text) for name, src in mapping.items()}, index=gdf.index
    )
    checked = check_frame(text, columns, path.name)
    problems, total = list(checked.problems), checked.total
    lines = pd.Series(np.arange(2, 2 + len(gdf)), index=gdf.index)
    key = columns[0]
    dup, n = duplicates(checked.frame[key.name], lines, path.name, key)
    problems, total = problems + dup, total + n
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        total += int(empty.sum())
        for row in lines[empty].head(20):
            problems.append(
                Problem(path.name, int(row), "geometry", "", "un polygone", "géométrie vide")
            )
    if total:
        raise SourceError(sorted(problems, key=lambda p: p.row or 0)[:20], total)
    crs = gdf.crs or "EPSG:4326"
    geo = gpd.GeoSeries(gdf.geometry.values, crs=crs).to_crs(4326)
    out = gpd.GeoDataFrame(checked.frame.reset_index(drop=True), geometry=geo.values, crs=4326)
    for extra in (*EPCI_FIELDS, *EPCI_NAME_FIELDS):
        if extra in gdf.columns:
            out[f"_{extra}"] = gdf[extra].map(_text).to_numpy()
    return out


def _text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _wkb(g: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.to_wkb(g.geometry.values)


def _epci(gdf: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series]:
    """EPCI SIREN and name per commune: from the layer if given, else from the COG table."""
    siren = next((gdf[f"_{f}"] for f in EPCI_FIELDS if f"_{f}" in gdf), None)
    name = next((gdf[f"_{f}"] for f in EPCI_NAME_FIELDS if f"_{f}" in gdf), None)
    cog_path = next(iter(sorted(GEOGRAPHY_DIR.glob("*communes_cog*.csv"))), None)
    if (siren is None or name is None) and cog_path is not None:
        cog = pd.read_csv(cog_path, dtype=str).set_index("code_insee")
        if siren is None:
            siren = gdf["code"].map(cog["epci_siren"])
        if name is None:
            name = gdf["code"].map(cog["epci_nom"])
    siren = siren if siren is not None else pd.Series("", index=gdf.index)
    name = name if name is not None else siren
    return siren.fillna("").astype(str), name.fillna("").astype(str)


def communes_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    siren, name = _epci(gdf)
    return pd.DataFrame(
        {
            "code": gdf["code"].astype(str),
            "nom": gdf["nom"].astype(str),
            "geometry_wkb": _wkb(gdf),
            "epci": siren.to_numpy(),
            "epci_nom": name.to_numpy(),
        }
    )


def iris_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_iris": gdf["CODE_IRIS"].astype(str),
            "code_commune": gdf["INSEE_COM"].astype(str),
            "nom_iris": gdf["NOM_IRIS"].astype(str),
            "typ_iris": gdf["TYP_IRIS"].fillna("").astype(str) if "TYP_IRIS" in gdf else "",
            "geometry_wkb": _wkb(gdf),
        }
    )


def qpv_table(gdf: gpd.GeoDataFrame, communes: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """QPV with the '|'-joined communes they touch (from the layer, else by intersection)."""
    listed = gdf["insee_com"] if "insee_com" in gdf else pd.Series("", index=gdf.index, dtype=object)
    joined = listed.astype(object).fillna("").astype(str).map(
        lambda s: "|".join(sorted(set(re.findall(r"\d[\dAB]\d{3}", s))))
    )
    if communes is not None and (joined == "").any():
        hits = gpd.sjoin(gdf[["code_qp", "geometry"]], communes[["code", "geometry"]],
                         predicate="intersects")
        spatial = hits.groupby("code_qp")["code"].agg(lambda s: "|".join(sorted(set(s))))
        joined = joined.where(joined != "", gdf["code_qp"].map(spatial).fillna(""))
    return pd.DataFrame(
        {
            "code_qp": gdf["code_qp"].astype(str),
            "lib_qp": gdf["lib_qp"].astype(str),
            "communes": joined.to_numpy(),
            "geometry_wkb": _wkb(gdf),
        }
    )


def read_bpe(path: Path, d: Dictionary | None = None) -> tuple[pd.DataFrame, list[LoadWarning]]:
    """BPE points of the followed families, with Lambert-93 and WGS84 coordinates."""
    from pyproj import Transformer

    d = d or dictionary()
    ctx = d.themes["context"]
    spec = ctx.raw["files"]["bpe"]
    columns = list(ctx.file_columns("bpe"))
    # TYPEQU outside the dictionary's families is not an error: the real BPE has ~190 types.
    typequ = next(c for c in columns if c.name == "TYPEQU")
    family_of = {t: fam for fam, types in ctx.raw["equipment_families"].items() for t in types}
    checked_cols = [c for c in columns if c.name != "TYPEQU"]
    frames, problems, total = [], [], 0
    for raw, first in read_csv_chunks(path, columns, spec.get("separator", ";")):
        lines = pd.Series(np.arange(first, first + len(raw)), index=raw.index)
        checked = check_frame(raw, checked_cols, path.name, lines=lines)
        req = check_frame(raw[[typequ.name]], [_as_string(typequ)], path.name, lines=lines)
        problems += checked.problems + req.problems
        total += checked.total + req.total
        frame = checked.frame
        frame["TYPEQU"] = req.frame["TYPEQU"]
        frames.append(frame)
    if total:
        raise SourceError(sorted(problems, key=lambda p: p.row or 0)[:20], total)
    df = pd.concat(frames, ignore_index=True)
    followed = df["TYPEQU"].isin(list(family_of))
    warnings = []
    if (~followed).any():
        warnings.append(
            LoadWarning(
                path.name, "equipement_non_suivi",
                "types d'équipement hors des familles suivies (ignorés)",
                int((~followed).sum()), sorted(df.loc[~followed, "TYPEQU"].unique())[:10],
            )
        )
    df = df[followed].reset_index(drop=True)
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(
        df["LAMBERT_X"].to_numpy(float), df["LAMBERT_Y"].to_numpy(float)
    )
    out = pd.DataFrame(
        {
            "typequ": df["TYPEQU"].astype(str),
            "famille": df["TYPEQU"].map(family_of).astype(str),
            "depcom": df["DEPCOM"].astype(str),
            "x_l93": df["LAMBERT_X"].astype(float),
            "y_l93": df["LAMBERT_Y"].astype(float),
            "lon": lon,
            "lat": lat,
        }
    )
    return out, warnings


def _as_string(col: Column) -> Column:
    """TYPEQU checked for its shape only (any BPE type), families filter it afterwards."""
    return replace(col, type="string", codes=None, pattern=r"^[A-Z]\d{3}$")


def read_geography(folder: Path, d: Dictionary | None = None) -> GeographyResult:
    """Every layer found in ``sources/geographie`` (communes required), validated."""
    d = d or dictionary()
    files: list[Path] = []
    tables: dict[str, pd.DataFrame] = {}
    warnings: list[LoadWarning] = []
    com_path = find_layer(folder, "communes")
    if com_path is None:
        raise reject(
            folder / "communes.geojson",
            "un fichier communes.gpkg, communes.geojson ou communes.shp",
            "contours des communes introuvables",
        )
    communes = read_contours(com_path, "communes", d)
    tables["communes"] = communes_table(communes)
    files.append(com_path)
    iris_path = find_layer(folder, "iris")
    if iris_path is not None:
        tables["iris"] = iris_table(read_contours(iris_path, "iris", d))
        files.append(iris_path)
    qpv_path = find_layer(folder, "qpv")
    if qpv_path is not None:
        tables["qpv"] = qpv_table(read_contours(qpv_path, "qpv", d), communes)
        files.append(qpv_path)
    bpe_path = folder / "bpe.csv"
    if bpe_path.exists():
        tables["equipements"], w = read_bpe(bpe_path, d)
        warnings += w
        files.append(bpe_path)
    for name, cols in (
        ("iris", ["code_iris", "code_commune", "nom_iris", "typ_iris", "geometry_wkb"]),
        ("qpv", ["code_qp", "lib_qp", "communes", "geometry_wkb"]),
        ("equipements", ["typequ", "famille", "depcom", "x_l93", "y_l93", "lon", "lat"]),
    ):
        if name not in tables:
            tables[name] = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
            warnings.append(
                LoadWarning(folder.name, f"{name}_absent", f"couche « {name} » absente", 0)
            )
    tables = {k: plain_strings(v) for k, v in tables.items()}
    return GeographyResult(tables, files, warnings)
