"""The fragility index: a transparent class per area, computed from published figures only.

Method (declared in ``data_dictionary/context.yaml``, indicator ``fragilite``): each driver
(a published share, e.g. households under 20 % of the HLM ceilings) is "en alerte" when the
area's value exceeds ``ratio_alert`` times the EPCI's value; the score is the number of drivers
in alert; the class follows from the score. Only figures whose status is ``published`` enter,
so the index reveals nothing the published base does not already show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary


def fragility(published: pd.DataFrame, d: Dictionary, vintage: int) -> pd.DataFrame:
    """Rows of the published base for indicator ``fragilite`` (one per area of its scales).

    ``published`` holds the indicator rows of the vintage (all statuses). Where fewer than
    ``min_drivers`` drivers are published, the class is withheld with the status that withheld
    most of its drivers.
    """
    ind = d.indicator("fragilite")
    method = ind.method or {}
    drivers = method["drivers"]
    ratio = float(method["ratio_alert"])
    min_drivers = int(method["min_drivers"])
    classes = method["classes"]
    keys = pd.MultiIndex.from_tuples([(dr["indicator"], str(dr["category"])) for dr in drivers])
    rows = published.set_index(["indicator", "category"]).loc[
        lambda x: x.index.isin(keys)
    ].reset_index()
    if rows.empty:
        return pd.DataFrame(columns=published.columns)
    rows["driver"] = rows["indicator"] + "|" + rows["category"]
    epci = rows[(rows.scale == "epci") & (rows.status == "published")].set_index("driver")["value"]
    target = rows[rows.scale.isin(ind.scales)]
    pub = target[target.status == "published"].copy()
    pub["alert"] = pub["value"] > ratio * pub["driver"].map(epci)
    pub = pub[pub["driver"].isin(epci.index)]
    agg = pub.groupby(["scale", "area_id"]).agg(n=("alert", "size"), score=("alert", "sum"))
    areas = target[["scale", "area_id"]].drop_duplicates().set_index(["scale", "area_id"])
    areas = areas.join(agg).fillna({"n": 0, "score": 0})
    withheld = target[target.status != "published"]
    reason = withheld.groupby(["scale", "area_id"])["status"].agg(lambda s: s.value_counts().index[0])
    areas["reason"] = reason.reindex(areas.index)
    ok = areas["n"] >= min_drivers
    bounds = [c["max_score"] for c in classes]
    names = [c["category"] for c in classes]
    idx = np.searchsorted(bounds, areas["score"].to_numpy(), side="left")
    areas["category"] = np.where(ok, np.array(names, dtype=object)[np.minimum(idx, len(names) - 1)], "")
    out = areas.reset_index()
    result = pd.DataFrame(
        {
            "vintage": vintage,
            "theme": ind.theme,
            "indicator": ind.name,
            "category": out["category"].where(ok.to_numpy(), ""),
            "scale": out["scale"],
            "area_id": out["area_id"],
            "base": np.where(ok, out["n"], np.nan),
            "count": np.where(ok, out["score"], np.nan),
            "value": np.where(ok, out["score"], np.nan),
            "status": np.where(ok, "published", out["reason"].fillna("below_threshold")),
        }
    )
    return result


def drivers_of(d: Dictionary) -> list[dict]:
    """The drivers of the index, as declared in the dictionary (for faces and reports)."""
    return list((d.indicator("fragilite").method or {})["drivers"])
