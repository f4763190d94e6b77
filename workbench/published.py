"""Reader of the published base: the only input of panels, maps, charts, exports and reports.

The published base holds safe aggregates only (see the contract in the build): one folder per
vintage with ``indicators.parquet`` (long format), ``areas.parquet`` (GeoParquet) and
``manifest.json``. Faces never read the microdata store; they read this.

Files are loaded once per process and per folder (keyed by path and modification time, so a
rebuild is picked up without restarting a dashboard).

API::

    base = PublishedBase()                  # root defaults to config.paths().published
    base.vintages()                         # [2022, 2023, 2024]
    base.latest()                           # 2024
    base.indicators(2024, theme="occupation", indicator="revenus", scale="commune")
    base.areas(2024, scale="commune")       # GeoDataFrame, EPSG:4326
    base.area(2024, "59350")                # one row (Series) or KeyError
    base.manifest(2024)
    base.evolution("revenus", "INF_20", "commune", "59350")
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from workbench.config import paths

PUBLISHED = "published"
INDICATOR_COLUMNS = [
    "vintage", "theme", "indicator", "category", "scale", "area_id",
    "base", "count", "value", "status",
]


class PublishedBaseError(LookupError):
    """The published base is missing or lacks a requested vintage (French message)."""


@functools.lru_cache(maxsize=32)
def _read_indicators(path: str, mtime: float) -> pd.DataFrame:
    df = pd.read_parquet(path)
    for col in ("theme", "indicator", "scale", "status"):
        df[col] = df[col].astype("category")
    df["category"] = df["category"].fillna("").astype(str)
    df["area_id"] = df["area_id"].astype(str)
    return df


@functools.lru_cache(maxsize=32)
def _positions(path: str, mtime: float) -> dict[tuple[str, str], Any]:
    """Row positions per (indicator, scale): most reads ask for one indicator at one scale."""
    df = _read_indicators(path, mtime)
    return df.groupby(["indicator", "scale"], observed=True, sort=False).indices


@functools.lru_cache(maxsize=64)
def _names(path: str, mtime: float, scale: str) -> pd.Series:
    gdf = _read_areas(path, mtime)
    names = gdf.loc[gdf["scale"] == scale].set_index("area_id")["name"]
    return names[~names.index.duplicated()]


@functools.lru_cache(maxsize=32)
def _read_areas(path: str, mtime: float) -> gpd.GeoDataFrame:
    gdf = gpd.read_parquet(path)
    gdf["area_id"] = gdf["area_id"].astype(str)
    return gdf


@functools.lru_cache(maxsize=32)
def _read_manifest(path: str, mtime: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _key(path: Path) -> tuple[str, float]:
    if not path.exists():
        raise PublishedBaseError(f"fichier absent de la base publiée : {path}")
    return str(path), path.stat().st_mtime


class PublishedBase:
    """Cached access to every vintage of the published base."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else paths().published

    def vintages(self) -> list[int]:
        """Vintages with a complete folder, oldest first."""
        if not self.root.exists():
            return []
        found = []
        for folder in self.root.iterdir():
            if folder.is_dir() and folder.name.isdigit() and (folder / "manifest.json").exists():
                found.append(int(folder.name))
        return sorted(found)

    def latest(self) -> int:
        years = self.vintages()
        if not years:
            raise PublishedBaseError(
                f"aucune base publiée dans {self.root} : lancez « workbench build --all »"
            )
        return years[-1]

    def folder(self, vintage: int) -> Path:
        folder = self.root / str(int(vintage))
        if not (folder / "manifest.json").exists():
            raise PublishedBaseError(
                f"le millésime {vintage} n'est pas publié (millésimes disponibles : "
                f"{', '.join(map(str, self.vintages())) or 'aucun'})"
            )
        return folder

    def manifest(self, vintage: int) -> dict[str, Any]:
        return _read_manifest(*_key(self.folder(vintage) / "manifest.json"))

    def _all_indicators(self, vintage: int) -> pd.DataFrame:
        return _read_indicators(*_key(self.folder(vintage) / "indicators.parquet"))

    def indicators(
        self,
        vintage: int,
        theme: str | None = None,
        indicator: str | None = None,
        scale: str | None = None,
        area_ids: Iterable[str] | str | None = None,
    ) -> pd.DataFrame:
        """Rows of the indicators table matching every given filter (a copy, plain strings)."""
        df = self._all_indicators(vintage)
        if indicator is not None and scale is not None:
            key = _key(self.folder(vintage) / "indicators.parquet")
            pos = _positions(*key).get((indicator, scale))
            df = df.iloc[pos] if pos is not None else df.iloc[0:0]
        mask = pd.Series(True, index=df.index)
        if theme is not None:
            mask &= df["theme"] == theme
        if indicator is not None:
            mask &= df["indicator"] == indicator
        if scale is not None:
            mask &= df["scale"] == scale
        if area_ids is not None:
            ids = [area_ids] if isinstance(area_ids, str) else [str(a) for a in area_ids]
            mask &= df["area_id"].isin(ids)
        out = df[mask].copy()
        for col in ("theme", "indicator", "scale", "status"):
            out[col] = out[col].astype(str)
        return out.reset_index(drop=True)

    def areas(self, vintage: int, scale: str | None = None) -> gpd.GeoDataFrame:
        """Areas of a vintage (every scale, or one), with geometry in EPSG:4326."""
        gdf = _read_areas(*_key(self.folder(vintage) / "areas.parquet"))
        if scale is not None:
            gdf = gdf[gdf["scale"] == scale]
        return gdf.copy()

    def names(self, vintage: int, scale: str) -> pd.Series:
        """Readable names of the areas of one scale, indexed by area id (cached)."""
        return _names(*_key(self.folder(vintage) / "areas.parquet"), scale)

    def area(self, vintage: int, area_id: str, scale: str | None = None) -> pd.Series:
        """One area by id (scale disambiguates ids shared by several scales)."""
        gdf = _read_areas(*_key(self.folder(vintage) / "areas.parquet"))
        rows = gdf[gdf["area_id"] == str(area_id)]
        if scale is not None:
            rows = rows[rows["scale"] == scale]
        if rows.empty:
            raise KeyError(f"zone inconnue dans le millésime {vintage} : « {area_id} »")
        if scale is None and len(rows) > 1:
            order = ["commune", "epci", "iris", "qpv", "residence", "commune_hors_qpv",
                     "bailleur", "reservataire"]
            rows = rows.assign(_o=rows["scale"].map({s: i for i, s in enumerate(order)}))
            rows = rows.sort_values("_o").drop(columns="_o")
        return rows.iloc[0]

    def evolution(self, indicator: str, category: str, scale: str, area_id: str) -> pd.DataFrame:
        """The same cell across every vintage (withheld vintages keep their status, no value)."""
        frames = []
        for vintage in self.vintages():
            df = self.indicators(vintage, indicator=indicator, scale=scale, area_ids=[area_id])
            frames.append(df[df["category"] == (category or "")])
        if not frames:
            return pd.DataFrame(columns=INDICATOR_COLUMNS)
        return pd.concat(frames, ignore_index=True).sort_values("vintage").reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _base_for(root: str) -> PublishedBase:
    return PublishedBase(Path(root))


def published_base(root: Path | str | None = None) -> PublishedBase:
    """The shared reader for the current home (one per root per process)."""
    return _base_for(str(Path(root) if root else paths().published))
