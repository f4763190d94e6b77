"""Bridge between the build's cells and the secrecy engine (placeholder during development)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.counting import base_cell
from workbench.dictionary import Dictionary


@dataclass
class ThemeResult:
    cells: pd.DataFrame
    audit_ok: bool
    disclosures: int
    audit_summary: dict[str, Any]


def rules_from_dictionary(d: Dictionary) -> dict[str, Any]:
    return {
        "threshold": int(d.rules["threshold"]["default"]),
        "min_response_rate": float(d.rules["response"]["default"]),
        "protection": int(d.rules["protection"]["default"]),
    }


def rules_manifest(rules: dict[str, Any]) -> dict[str, Any]:
    return dict(rules)


def primary_statuses(cells: pd.DataFrame, theme: str, d: Dictionary, rules: dict[str, Any]) -> pd.Series:
    """Rules 1-4 per cell, with the reason; bases withheld carry their categories along."""
    t = d.themes[theme]
    status = pd.Series("published", index=cells.index, dtype=object)
    inds = t.indicators
    scale_ok = np.array([s in inds[i].scales for i, s in zip(cells.indicator, cells.scale, strict=True)])
    status[~scale_ok] = "not_at_scale"
    thr = rules["threshold"]
    is_count = cells["category"] == ""
    small = np.where(is_count, cells["count"] < thr, cells["base"] < thr)
    status[(status == "published") & small] = "below_threshold"
    if "response" in t.rules:
        resp = cells[(cells.indicator == "reponse")]
        rate = (resp[resp.category == "REPONDU"].set_index("area_id")["count"] /
                resp[resp.category == "REPONDU"].set_index("area_id")["base"])
        profile = {
            name for name, ind in inds.items()
            if ind.kind == "share" and base_cell(ind) != ("menages", "") and ind.name != "reponse"
        }
        low = cells.indicator.isin(profile) & (cells.area_id.map(rate) < rules["min_response_rate"])
        status[(status == "published") & low] = "low_response"
    if "extremes" in t.rules:
        exempt = {n for n, i in inds.items() if "extremes" in i.exempt_rules}
        share = ~is_count & ~cells.indicator.isin(exempt)
        extreme = share & ((cells["count"] == 0) | (cells["count"] == cells["base"]))
        status[(status == "published") & extreme] = "extreme_share"
    return status
