"""Distance from each résidence to the nearest equipment of each family (BPE-like layer).

Equipment positions and résidence addresses are public, so these distances are published for
every résidence, including those whose other figures are all withheld.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from workbench.dictionary import Dictionary


def distances(residences: pd.DataFrame, equipment: pd.DataFrame, d: Dictionary, vintage: int) -> pd.DataFrame:
    """Rows of the published base for ``distance_equipement`` (metres, Lambert-93)."""
    ind = d.indicator("distance_equipement")
    xy = residences[["x_l93", "y_l93"]].to_numpy(dtype=float)
    frames = []
    for family in ind.categories:
        eq = equipment[equipment["famille"] == family]
        if eq.empty:
            dist = np.full(len(residences), np.nan)
        else:
            tree = cKDTree(eq[["x_l93", "y_l93"]].to_numpy(dtype=float))
            dist, _ = tree.query(xy, k=1)
        frames.append(
            pd.DataFrame(
                {
                    "vintage": vintage,
                    "theme": ind.theme,
                    "indicator": ind.name,
                    "category": family,
                    "scale": "residence",
                    "area_id": residences["residence_id"].to_numpy(),
                    "base": np.nan,
                    "count": np.nan,
                    "value": np.round(dist, 0),
                    "status": np.where(np.isnan(dist), "not_at_scale", "published"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
