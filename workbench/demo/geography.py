"""MEL geography for the demo: real communes and IRIS, fictional QPV polygons, point sampling.

Real contours (``data/mel``) give the analyst a recognisable territory; the priority
neighbourhoods are drawn at random in the dense communes (their real contours are not open in
an official format here), always labelled "QPV fictif".
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.ops import unary_union

from workbench.config import GEOGRAPHY_DIR

L93 = "EPSG:2154"
WGS84 = "EPSG:4326"
EPCI_SIREN = "200093201"

# Fictional priority neighbourhoods per commune (INSEE code -> number), dense communes only.
QPV_PER_COMMUNE: dict[str, int] = {
    "59350": 6,  # Lille
    "59512": 5,  # Roubaix
    "59599": 4,  # Tourcoing
    "59009": 2,  # Villeneuve-d'Ascq
    "59650": 2,  # Wattrelos
    "59299": 1,  # Hem
    "59360": 1,  # Loos
    "59410": 1,  # Mons-en-Barœul
    "59017": 1,  # Armentières
    "59286": 1,  # Haubourdin
}
# One neighbourhood straddles this pair of communes (as some real QPV do).
CROSS_COMMUNE_PAIR = ("59512", "59599")


@dataclass
class Geography:
    """Communes and IRIS (Lambert-93) plus the fictional QPV drawn on them."""

    communes: gpd.GeoDataFrame  # code, nom, geometry (Admin Express-like, WGS84 file copy)
    iris: gpd.GeoDataFrame  # CODE_IRIS, INSEE_COM, NOM_COM, IRIS, NOM_IRIS, TYP_IRIS, P19_PMEN
    qpv: gpd.GeoDataFrame  # code_qp, lib_qp, insee_com, lib_com, siren_epci, geometry
    postcodes: dict[str, str]


def load_mel() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, str]]:
    """Read the real MEL communes and IRIS (one feature per IRIS code), in Lambert-93."""
    communes = gpd.read_file(GEOGRAPHY_DIR / "mel_communes_contours_adminexpress2018.geojson")
    iris = gpd.read_file(GEOGRAPHY_DIR / "iris_mel_contours.geojson")
    # A few IRIS codes are split over two features carrying the same attributes: merge them.
    attrs = iris.drop(columns="geometry").drop_duplicates("CODE_IRIS").set_index("CODE_IRIS")
    geoms = iris.groupby("CODE_IRIS")["geometry"].apply(lambda g: unary_union(list(g)))
    iris = gpd.GeoDataFrame(attrs.join(geoms).reset_index(), geometry="geometry", crs=WGS84)
    iris = iris.sort_values("CODE_IRIS").reset_index(drop=True)
    cog = pd.read_csv(GEOGRAPHY_DIR / "mel_communes_cog2026.csv", dtype=str)
    postcodes = {r.code_insee: r.codes_postaux.split("|")[0] for r in cog.itertuples()}
    return communes.to_crs(L93), iris.to_crs(L93), postcodes


def sample_points(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` uniform points inside a (multi)polygon by vectorised rejection."""
    out = np.empty((0, 2))
    if n <= 0:
        return out
    minx, miny, maxx, maxy = geom.bounds
    area_ratio = max(geom.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.02)
    shapely.prepare(geom)
    while len(out) < n:
        k = int((n - len(out)) / area_ratio * 1.3) + 8
        xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        out = np.vstack([out, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _blob(cx: float, cy: float, radius: float, rng: np.random.Generator) -> Polygon:
    """An irregular neighbourhood-like polygon around a centre."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, 11))
    radii = radius * rng.uniform(0.6, 1.3, len(angles))
    ring = np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
    return Polygon(ring).convex_hull.buffer(radius * 0.08).simplify(5)


def draw_qpv(
    iris: gpd.GeoDataFrame, rng: np.random.Generator, names: dict[str, str]
) -> gpd.GeoDataFrame:
    """Draw non-overlapping fictional QPV inside the dense communes (Lambert-93)."""
    communes = iris.dissolve(by="INSEE_COM")["geometry"]
    territory = unary_union(list(communes))
    drawn: list[tuple[str, Polygon]] = []

    def place(centre_xy: tuple[float, float], radius: float, communes_hint: str) -> bool:
        poly = _blob(*centre_xy, radius, rng).intersection(territory)
        if poly.is_empty or any(poly.intersects(p.buffer(80)) for _, p in drawn):
            return False
        drawn.append((communes_hint, poly))
        return True

    # The straddling one first: centred on the shared border of the pair.
    a, b = CROSS_COMMUNE_PAIR
    border = communes[a].boundary.intersection(communes[b].boundary)
    for _ in range(50):
        pt = border.interpolate(rng.uniform(0.3, 0.7), normalized=True)
        if place((pt.x, pt.y), 450.0, f"{a}|{b}"):
            break
    for code, count in QPV_PER_COMMUNE.items():
        pool = iris[(iris.INSEE_COM == code) & (iris.TYP_IRIS == "H")]
        density = (pool.P19_PMEN / pool.area).to_numpy()
        weights = density / density.sum()
        placed, tries = 0, 0
        while placed < count and tries < 400:
            tries += 1
            row = pool.iloc[rng.choice(len(pool), p=weights)]
            (x, y), = sample_points(row.geometry, 1, rng)
            placed += place((x, y), float(rng.uniform(280, 560)), code)
    rows = []
    letters = "ABCDEFGHIJ"
    seen: dict[str, int] = {}
    for k, (_hint, poly) in enumerate(drawn, start=1):
        codes = [c for c in communes.index if communes[c].intersection(poly).area > 1.0]
        codes.sort(key=lambda c: -communes[c].intersection(poly).area)
        label = " / ".join(names[c] for c in codes)
        seen[label] = seen.get(label, 0) + 1
        rows.append(
            {
                "code_qp": f"QN0599{k:02d}F",
                "lib_qp": f"QPV fictif — {label} {letters[seen[label] - 1]}",
                "insee_com": "|".join(codes),
                "lib_com": " / ".join(names[c] for c in codes),
                "siren_epci": EPCI_SIREN,
                "geometry": poly,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=L93)


def build_geography(rng: np.random.Generator) -> Geography:
    """Real MEL communes and IRIS plus freshly drawn fictional QPV."""
    communes, iris, postcodes = load_mel()
    names = dict(zip(communes.code, communes.nom, strict=True))
    qpv = draw_qpv(iris, rng, names)
    return Geography(communes=communes, iris=iris, qpv=qpv, postcodes=postcodes)
