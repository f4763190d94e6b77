"""Primary suppression: rules 1-4 of the conventions, with the reason for every cell.

1. threshold — no figure rests on fewer than 11 units: a count under the threshold, or a share
   whose base is under it; 2. response — occupation profiles only where the response rate
   reaches 60 %; 3. extremes — no share of 0 % or 100 % (unless the dictionary exempts the
   indicator); 4. scale — a figure is shown only at the scales its theme allows (attributions
   not at résidence scale). The rules a theme follows come from the data dictionary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary
from workbench.secrecy.rules import Rules


def primary_statuses(
    cells: pd.DataFrame, theme: str, d: Dictionary, rules: Rules, base_of: dict[str, tuple[str, str]]
) -> pd.Series:
    """Status of each cell after rules 1-4: "published" or the reason it is withheld.

    ``cells``: indicator, category ("" for counts), scale, area_id, count, base.
    """
    t = d.themes[theme]
    inds = t.indicators
    status = pd.Series("published", index=cells.index, dtype=object)
    allowed = np.array(
        [s in inds[i].scales for i, s in zip(cells["indicator"], cells["scale"], strict=True)]
    )
    status[~allowed] = "not_at_scale"
    is_count = (cells["category"] == "").to_numpy()
    small = np.where(is_count, cells["count"] < rules.threshold, cells["base"] < rules.threshold)
    status[(status == "published") & small] = "below_threshold"
    if "response" in t.rules:
        answered = cells[(cells["indicator"] == "reponse") & (cells["category"] == "REPONDU")]
        rate = answered.set_index("area_id")["count"] / answered.set_index("area_id")["base"]
        profile = [n for n in inds if _rests_on(n, ("reponse", "REPONDU"), base_of)]
        low = cells["indicator"].isin(profile) & (cells["area_id"].map(rate) < rules.min_response_rate)
        status[(status == "published") & low.to_numpy()] = "low_response"
    if "extremes" in t.rules and rules.extremes:
        exempt = {n for n, ind in inds.items() if "extremes" in ind.exempt_rules}
        share = ~is_count & ~cells["indicator"].isin(exempt).to_numpy()
        extreme = share & ((cells["count"] == 0) | (cells["count"] == cells["base"])).to_numpy()
        status[(status == "published") & extreme] = "extreme_share"
    return status


def _rests_on(name: str, cell: tuple[str, str], base_of: dict[str, tuple[str, str]]) -> bool:
    """Whether a share's chain of bases goes through ``cell`` (e.g. the respondents)."""
    seen = set()
    while name in base_of and name not in seen:
        seen.add(name)
        if base_of[name] == cell:
            return True
        name = base_of[name][0]
    return False
