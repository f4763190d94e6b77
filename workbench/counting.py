"""Count units into cells: one cell per (indicator, category, area), from unit-level microdata.

Counting happens once per atom (résidence) with a sparse matrix, then every area's counts are
the atoms' counts summed through the membership matrix of ``workbench.areas`` — the same
membership the secrecy engine uses for its additivity constraints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from workbench.areas import AreaSet
from workbench.dictionary import Indicator
from workbench.indicators import derive


@dataclass
class Counts:
    """Counts of one theme: per area (long table) and per atom (for the secrecy engine)."""

    cells: pd.DataFrame  # theme, indicator, category, scale, area_id, count, base
    per_atom: sparse.csr_matrix  # atoms x columns
    columns: list[tuple[str, str]]  # (indicator, category) of each column


def count_cells(
    units: pd.DataFrame,
    atom_ids: pd.Series,
    areas: AreaSet,
    indicators: list[Indicator],
    vintage: int,
    theme: str,
) -> Counts:
    """Long table of counts: theme, indicator, category, scale, area_id, count, base.

    ``base`` is the count of the indicator's base for the same area (shares only).
    """
    atom_idx = areas.atoms.get_indexer(atom_ids)
    if (atom_idx < 0).any():
        missing = atom_ids[atom_idx < 0].iloc[0]
        raise ValueError(f"unité rattachée à une zone inconnue : « {missing} »")
    # Loaders keep missing numbers as pandas NA (Int64); derivations compare with NaN semantics.
    nullable = [c for c in units.columns if isinstance(units[c].dtype, pd.Int64Dtype)]
    units = units.astype({c: "float64" for c in nullable})
    columns: list[tuple[str, str]] = []
    rows_i: list[np.ndarray] = []
    cols_i: list[np.ndarray] = []
    for ind in indicators:
        derived = derive(units, ind, vintage)
        if ind.kind == "count":
            mask = derived.to_numpy(dtype=bool)
            rows_i.append(atom_idx[mask])
            cols_i.append(np.full(int(mask.sum()), len(columns)))
            columns.append((ind.name, ""))
            continue
        codes = pd.Categorical(derived, categories=list(ind.categories))
        valid = codes.codes >= 0
        rows_i.append(atom_idx[valid])
        cols_i.append(codes.codes[valid] + len(columns))
        columns.extend((ind.name, c) for c in ind.categories)
    r = np.concatenate(rows_i) if rows_i else np.array([], dtype=int)
    c = np.concatenate(cols_i) if cols_i else np.array([], dtype=int)
    per_atom = sparse.csr_matrix(
        (np.ones(len(r), dtype=np.int64), (r, c)), shape=(len(areas.atoms), len(columns))
    )
    m, area_index = areas.matrix()
    per_area = np.asarray((m @ per_atom).todense())
    col_index = pd.MultiIndex.from_tuples(columns, names=["indicator", "category"])
    wide = pd.DataFrame(per_area, index=area_index, columns=col_index)
    long = wide.stack(["indicator", "category"], future_stack=True).rename("count").reset_index()
    long = long.rename(columns={"index": "area_id"}) if "index" in long else long
    long.columns = ["area_id", "indicator", "category", "count"]
    scale = areas.areas.set_index("area_id")["scale"]
    long["scale"] = long["area_id"].map(scale)
    long["theme"] = theme
    base_ind = {}
    base_cat = {}
    for ind in indicators:
        if ind.kind == "share":
            base_ind[ind.name], base_cat[ind.name] = base_cell(ind)
    lookup = long.set_index(["indicator", "category", "area_id"])["count"]
    key = pd.MultiIndex.from_arrays(
        [long["indicator"].map(base_ind), long["indicator"].map(base_cat), long["area_id"]]
    )
    long["base"] = lookup.reindex(key).to_numpy()
    long.loc[long["category"] == "", "base"] = np.nan
    _check_additivity(long, indicators)
    cols = ["theme", "indicator", "category", "scale", "area_id", "count", "base"]
    return Counts(long[cols], per_atom, columns)


def base_cell(ind: Indicator) -> tuple[str, str]:
    """The (indicator, category) cell holding a share's base, resolving ``same_as`` aliases."""
    from workbench.dictionary import dictionary

    base = dictionary().indicator(ind.base)
    return base.same_as if base.same_as else (base.name, "")


def _check_additivity(long: pd.DataFrame, indicators: list[Indicator]) -> None:
    """The categories of a share must add up to its base in every area (the engine relies on it)."""
    shares = long[long["category"] != ""]
    sums = shares.groupby(["indicator", "area_id"], sort=False).agg(total=("count", "sum"), base=("base", "first"))
    bad = sums[sums["total"] != sums["base"]]
    if len(bad):
        (ind, area), row = next(iter(bad.iterrows()))
        raise ValueError(
            f"les catégories de « {ind} » ne somment pas à leur base pour la zone {area} "
            f"({int(row.total)} ≠ {row.base})"
        )
