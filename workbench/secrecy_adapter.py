"""Bridge between the build's counts and the secrecy engine, one theme at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.areas import AreaSet
from workbench.counting import Counts, base_cell
from workbench.dictionary import Dictionary
from workbench.secrecy.hierarchy import Geography, build_table
from workbench.secrecy.primary import primary_statuses
from workbench.secrecy.rules import Rules
from workbench.secrecy.secondary import SecrecyError, protect
from workbench.secrecy.table import CellTable

# The EPCI's figures are never withheld (infinite cost); commune figures only at a high price.
TOTAL_SCALES = {"epci": np.inf, "commune": 100.0}
EPCI_FALLBACK = 1e5


@dataclass
class ThemeResult:
    cells: pd.DataFrame
    audit_ok: bool
    disclosures: int
    audit_summary: dict[str, Any]


def theme_table(
    counts: Counts,
    areas: AreaSet,
    theme: str,
    d: Dictionary,
    rules: Rules,
    atom_upper: pd.Series | None = None,
) -> tuple[CellTable, pd.DataFrame, dict[str, tuple[str, str]]]:
    """One theme's cells as the engine and the attacker see them: the table (its first
    ``len(cells)`` cells are ``cells``, in order; virtual pieces after), the cells, the bases."""
    cells = counts.cells.reset_index(drop=True)
    base_of = {i.name: base_cell(i) for i in d.themes[theme].indicators.values() if i.kind == "share"}
    status = primary_statuses(cells, theme, d, rules, base_of)
    primary = np.where(status == "published", "", status).astype(object)
    cost = cells["count"].to_numpy(dtype=float) + 1.0
    cost *= cells["scale"].map(TOTAL_SCALES).fillna(1.0).to_numpy()
    cost *= np.where(cells["category"] == "", 10.0, 1.0)  # a base hides its whole row
    known = (cells["indicator"] == "logements").to_numpy()  # public RPLS counts per address
    # A category the EPCI publishes as 0 is 0 everywhere (non-negativity): nothing to protect.
    epci_zero = cells[(cells["scale"] == "epci") & (cells["count"] == 0) & (status == "published").to_numpy()]
    zero_cols = pd.MultiIndex.from_frame(epci_zero[["indicator", "category"]])
    known = known | pd.MultiIndex.from_frame(cells[["indicator", "category"]]).isin(zero_cols)
    upper = atom_upper.reindex(areas.atoms).to_numpy(dtype=float) if atom_upper is not None else None
    area_upper = None
    if upper is not None:  # public dwelling counts bound every cell of an area
        m, area_index = areas.matrix()
        totals = pd.Series(m @ np.nan_to_num(upper, nan=np.inf), index=area_index)
        area_upper = totals.reindex(cells["area_id"]).to_numpy(dtype=float)
    population = {i.name for i in d.themes[theme].indicators.values() if i.kind == "count" and not i.same_as}
    table, _ = build_table(  # its first len(cells) cells are the cells
        cells, Geography(areas.areas, areas.atoms, areas.membership), base_of, counts.per_atom,
        counts.columns, primary, cost=cost, known=known, atom_upper=upper, population=population,
        area_upper=area_upper,
    )
    return table, cells, base_of


def protect_theme(
    table: CellTable, cells: pd.DataFrame, base_of: dict[str, tuple[str, str]], rules: Rules
) -> ThemeResult:
    """Primary + secondary suppression of one theme (``theme_table``'s output), checked by the
    independent audit."""
    n = len(cells)
    try:
        result = protect(table, protection=rules.protection, threshold=rules.threshold)
        epci_kept = True
    except SecrecyError:
        # Too few cells below the EPCI to protect each other (tiny territories): let the EPCI's
        # figures be withheld too, at a price that keeps them the last resort.
        table.cost = np.where(np.isfinite(table.cost), table.cost, (table.values + 1.0) * EPCI_FALLBACK)
        result = protect(table, protection=rules.protection, threshold=rules.threshold)
        epci_kept = False
    # The engine already withholds a share with its base (table.dependents); this gives those
    # cells their base's reason rather than "secondary".
    final = _withhold_rows_of_withheld_bases(cells, pd.Series(result.status[:n], index=cells.index), base_of)
    if ((final != "published").to_numpy() & (result.status[:n] == "published")).any():
        raise RuntimeError("une part publiée repose sur une base masquée")
    # So the withheld cells are exactly the engine's, and its last audit (an empty report, a
    # complete proof) is the verdict on them: auditing them again would repeat it.
    report = result.audit
    summary = report.summary() | {
        "primary_cells": result.primary_cells,
        "secondary_cells": int((final == "secondary").sum()),
        "secondary_units": int(cells.loc[final == "secondary", "count"].sum()),
        "protect_seconds": round(result.seconds, 2),
        "epci_kept": epci_kept,
    }
    return ThemeResult(cells.assign(status=final.to_numpy()), report.ok, len(report.disclosures), summary)


def _withhold_rows_of_withheld_bases(
    cells: pd.DataFrame, status: pd.Series, base_of: dict[str, tuple[str, str]]
) -> pd.Series:
    """A published share carries its base: where the base is withheld, so is the share."""
    status = status.copy()
    lookup = pd.Series(status.to_numpy(), index=pd.MultiIndex.from_frame(cells[["indicator", "category", "area_id"]]))
    for _ in range(3):  # bases of bases (respondents -> recent movers -> their profile)
        b_ind = cells["indicator"].map(lambda i: base_of.get(i, (None, None))[0])
        b_cat = cells["indicator"].map(lambda i: base_of.get(i, (None, None))[1])
        key = pd.MultiIndex.from_arrays([b_ind, b_cat, cells["area_id"]])
        base_status = pd.Series(lookup.reindex(key).to_numpy(), index=cells.index)
        hit = (status == "published") & base_status.notna() & (base_status != "published")
        if not hit.any():
            break
        status[hit] = base_status[hit]
        lookup = pd.Series(status.to_numpy(), index=lookup.index)
    return status


def rules_manifest(rules: Rules) -> dict[str, Any]:
    return rules.as_dict()
