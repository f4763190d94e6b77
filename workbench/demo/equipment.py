"""Fictional BPE-like equipment points (schools, transport stops, health, shops)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.demo.geography import sample_points

# How many points of each BPE type for about 1.2 million inhabitants.
COUNTS = {
    "C107": 45, "C108": 60, "C201": 25, "C301": 14,
    "E107": 10, "E109": 50, "E199": 70,
    "D265": 40, "D307": 25, "D108": 6,
    "B104": 20, "B207": 30, "B316": 30,
}
QUALITY = (["Bonne", "Acceptable", "Mauvaise"], [0.9, 0.08, 0.02])


def equipment(iris: gpd.GeoDataFrame, year: int, rng: np.random.Generator,
              scale: float = 1.0) -> pd.DataFrame:
    """Points placed in IRIS in proportion to households (Lambert-93), BPE columns."""
    w = iris.P19_PMEN.to_numpy() + 50.0
    rows = []
    for typequ, count in COUNTS.items():
        k = max(2, round(count * scale))
        where = rng.choice(len(iris), size=k, p=w / w.sum())
        for i in where:
            (x, y), = sample_points(iris.geometry.iloc[i], 1, rng)
            rows.append((year, iris.INSEE_COM.iloc[i], iris.CODE_IRIS.iloc[i], typequ,
                         round(x, 2), round(y, 2)))
    df = pd.DataFrame(rows, columns=["AN", "DEPCOM", "DCIRIS", "TYPEQU", "LAMBERT_X", "LAMBERT_Y"])
    df["QUALITE_XY"] = rng.choice(QUALITY[0], size=len(df), p=QUALITY[1])
    return df.sort_values(["DEPCOM", "TYPEQU", "LAMBERT_X"], kind="stable").reset_index(drop=True)
