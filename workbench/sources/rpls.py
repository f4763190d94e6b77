"""The RPLS dwelling-level file (SDES), 2023-style or 2025-style column names.

Read in chunks (the national file has ~5.4 M rows), checked against the ``stock`` theme of the
dictionary, coordinates moved from each row's EPSG to Lambert-93 and WGS84, and dwellings
grouped into résidences (same normalised address and landlord).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from workbench.dictionary import Dictionary, dictionary
from workbench.sources.errors import LoadWarning, Problem, SourceError
from workbench.sources.reading import CHUNK_ROWS, read_csv_chunks
from workbench.sources.validate import STRING, check_frame, duplicates, plain_strings

# Bounds (lon/lat) used when no commune contours are loaded: where each EPSG's rows may lie.
FRANCE_BOUNDS = {
    "metropole": (-5.5, 41.0, 10.0, 51.5),
    "2975": (55.0, -21.6, 56.0, -20.7),  # La Réunion
    "5490": (-63.5, 14.2, -60.6, 18.2),  # Antilles
    "2972": (-54.8, 2.0, -51.4, 6.0),  # Guyane
}
MARGIN_DEG = 0.02  # ~2 km around the contours of the loaded communes


@dataclass
class RplsResult:
    logements: pd.DataFrame
    residences: pd.DataFrame
    warnings: list[LoadWarning] = field(default_factory=list)
    version_loi: bool = False


@functools.cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{src}", f"EPSG:{dst}", always_xy=True)


def normalize_text(text: str) -> str:
    """Upper case, no accents, punctuation as single spaces: how addresses are compared."""
    t = unicodedata.normalize("NFKD", text.upper()).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", t).split())


def residence_ids(df: pd.DataFrame) -> pd.Series:
    """``R`` + 10 hex chars of sha1(DEPCOM|NUMVOIE|TYPVOIE|NOMVOIE[|RS]) on normalised text.

    Normalisation (case, accents, punctuation, spaces) runs once per distinct value of each
    field, hashing once per distinct address: never per dwelling.
    """
    fields = ["DEPCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE"] + (["RS"] if "RS" in df else [])
    codes, normalized = [], []
    for c in fields:
        col = df[c].astype(STRING).fillna("") if c in df else pd.Series("", index=df.index)
        k, uniq = pd.factorize(col)
        codes.append(k)
        normalized.append(np.array([normalize_text(str(u)) for u in uniq], dtype=object))
    uniq_rows, inverse = np.unique(np.column_stack(codes), axis=0, return_inverse=True)
    ids = []
    for row in uniq_rows:
        norm = [normalized[i][j] for i, j in enumerate(row)]
        if len(norm) == 5 and norm[4] == "":
            norm = norm[:4]
        ids.append("R" + hashlib.sha1("|".join(norm).encode("utf-8")).hexdigest()[:10])
    return pd.Series(np.asarray(ids, dtype=object)[inverse.ravel()], index=df.index)


def _bounds_problems(
    df: pd.DataFrame, lines: pd.Series, lon: np.ndarray, lat: np.ndarray,
    communes: pd.DataFrame | None, file: str,
) -> tuple[list[Problem], int]:
    epsg = df["EPSG"].astype(str)
    if communes is not None and len(communes):
        import shapely

        geoms = shapely.from_wkb(communes["geometry_wkb"].to_numpy())
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
        box = (x0 - MARGIN_DEG, y0 - MARGIN_DEG, x1 + MARGIN_DEG, y1 + MARGIN_DEG)
        boxes = np.broadcast_to(np.array(box), (len(df), 4))
        where = "l'emprise des communes chargées"
    else:
        table = pd.DataFrame(FRANCE_BOUNDS).T
        keys = epsg.where(epsg.isin(table.index), "metropole")
        boxes = table.reindex(keys.to_numpy()).to_numpy(dtype=float)
        where = "l'emprise de la France"
    epsg = epsg.to_numpy()
    ok = (
        np.isfinite(lon) & np.isfinite(lat)
        & (lon >= boxes[:, 0]) & (lon <= boxes[:, 2]) & (lat >= boxes[:, 1]) & (lat <= boxes[:, 3])
    )
    bad = np.flatnonzero(~ok)
    problems = []
    for i in bad[:20]:
        b = boxes[i]
        problems.append(
            Problem(
                file, int(lines.iloc[i]), "X/Y",
                f"{df['X'].iloc[i]} ; {df['Y'].iloc[i]} (EPSG {epsg[i]})",
                f"un point dans {where} (longitude {b[0]:.2f} à {b[2]:.2f}, "
                f"latitude {b[1]:.2f} à {b[3]:.2f})",
                "coordonnées hors du territoire",
            )
        )
    return problems, int(len(bad))


def project(df: pd.DataFrame) -> pd.DataFrame:
    """Lambert-93 and WGS84 coordinates from X, Y in each row's EPSG (pyproj, per EPSG group)."""
    x = df["X"].to_numpy(dtype=float)
    y = df["Y"].to_numpy(dtype=float)
    out = {k: np.full(len(df), np.nan) for k in ("x_l93", "y_l93", "lon", "lat")}
    epsg = df["EPSG"].astype(str).to_numpy()
    for code in pd.unique(epsg):
        m = epsg == code
        src = int(code)
        if src == 2154:
            out["x_l93"][m], out["y_l93"][m] = x[m], y[m]
        else:
            out["x_l93"][m], out["y_l93"][m] = _transformer(src, 2154).transform(x[m], y[m])
        if src == 4326:
            out["lon"][m], out["lat"][m] = x[m], y[m]
        else:
            out["lon"][m], out["lat"][m] = _transformer(src, 4326).transform(x[m], y[m])
    return pd.DataFrame(out, index=df.index)


def read_rpls(
    path: Path,
    communes: pd.DataFrame | None = None,
    d: Dictionary | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> RplsResult:
    """Validate and load an RPLS CSV; raise SourceError (nothing loaded) on any rejection."""
    d = d or dictionary()
    theme = d.themes["stock"]
    columns = theme.columns
    file = path.name
    chunks: list[pd.DataFrame] = []
    line_chunks: list[pd.Series] = []
    problems: list[Problem] = []
    total = 0
    for raw, first_line in read_csv_chunks(path, columns, theme.raw["file"]["separator"], chunk_rows):
        lines = pd.Series(np.arange(first_line, first_line + len(raw)), index=raw.index)
        checked = check_frame(raw, columns, file, lines=lines)
        total += checked.total
        if len(problems) < 20:
            problems.extend(checked.problems)
        if total:  # keep reading to count problems, but stop accumulating data
            continue
        chunks.append(checked.frame)
        line_chunks.append(lines)
    if total:
        raise SourceError(sorted(problems, key=lambda p: p.row or 0)[:20], total)
    if not chunks:
        raise SourceError([Problem(file, 2, None, None, "au moins un logement", "fichier sans ligne")])
    df = pd.concat(chunks, ignore_index=True)
    lines = pd.concat(line_chunks, ignore_index=True)
    dup, ndup = duplicates(df["IDENT_REP"], lines, file, theme.column("IDENT_REP"))
    if ndup:
        raise SourceError(dup, ndup)
    coords = project(df)
    bad, nbad = _bounds_problems(
        df, lines, coords["lon"].to_numpy(), coords["lat"].to_numpy(), communes, file
    )
    if nbad:
        raise SourceError(bad, nbad)
    df = pd.concat([df, coords], axis=1)
    df["code_iris"] = df["PLG_IRIS2024_CODE"].astype(str)
    qp = df["PLG_QP24"].fillna("").astype(str) if "PLG_QP24" in df else pd.Series("", index=df.index)
    df["code_qp"] = qp.where(qp.str.startswith("QN"), "")
    df["residence_id"] = residence_ids(df)
    warnings: list[LoadWarning] = []
    if "DPEENERGIE" in df:
        no_dpe = df["DPEENERGIE"].isna()
        if no_dpe.any():
            warnings.append(
                LoadWarning(
                    file, "dpe_vide",
                    f"DPE non renseigné ({theme.column('DPEENERGIE').empty_means})",
                    int(no_dpe.sum()), df.loc[no_dpe, "IDENT_REP"].head(5).tolist(),
                )
            )
    loi = "MODE" in df and bool(df["MODE"].notna().any())
    res = residences(df, communes)
    return RplsResult(plain_strings(df), plain_strings(res), warnings, loi)


def _address(df: pd.DataFrame, commune_names: pd.Series) -> pd.Series:
    parts = [df[c].fillna("").astype(str).str.strip() if c in df else "" for c in
             ("NUMVOIE", "TYPVOIE", "NOMVOIE")]
    street = (parts[0] + " " + parts[1] + " " + parts[2]).str.replace(r"\s+", " ", regex=True)
    return street.str.strip() + ", " + commune_names.astype(str)


def residences(logements: pd.DataFrame, communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per résidence: readable address, location, landlord, size, median build year."""
    keep = ["residence_id", "DEPCOM", "LIBCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE", "RS", "code_iris",
            "code_qp", "CONSTRUCT", "x_l93", "y_l93", "lon", "lat"]
    g = logements[[c for c in keep if c in logements]].groupby("residence_id", sort=True)
    first = g.first()
    if "LIBCOM" in first and first["LIBCOM"].notna().all():
        names = first["LIBCOM"]
    elif communes is not None and len(communes):
        names = first["DEPCOM"].map(communes.set_index("code")["nom"]).fillna(first["DEPCOM"])
    else:
        names = first["LIBCOM"].fillna(first["DEPCOM"]) if "LIBCOM" in first else first["DEPCOM"]
    out = pd.DataFrame(
        {
            "residence_id": first.index.astype(str),
            "adresse": _address(first, names).to_numpy(),
            "depcom": first["DEPCOM"].astype(str).to_numpy(),
            "code_iris": first["code_iris"].astype(str).to_numpy(),
            "code_qp": first["code_qp"].astype(str).to_numpy(),
            "bailleur": first["RS"].fillna("").astype(str).to_numpy()
            if "RS" in first
            else np.full(len(first), "", dtype=object),
            "nb_logements": g.size().to_numpy().astype("int64"),
            "annee_construction": g["CONSTRUCT"].median().round().astype("int64").to_numpy(),
        }
    )
    means = g[["x_l93", "y_l93", "lon", "lat"]].mean()
    for c in means:
        out[c] = means[c].to_numpy()
    return out
