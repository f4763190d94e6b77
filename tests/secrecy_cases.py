"""Hand-made tables for the secrecy tests: geographies, per-résidence counts, cell frames.

Cases are built the way the build does it (cells per area -> ``primary_statuses`` ->
``build_table``), so that the virtual pieces of crossing areas (IRIS ∩ QPV) are exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from workbench.dictionary import dictionary
from workbench.secrecy import CellTable, Geography, Rules, build_table, primary_statuses

RULES = Rules()
VALID_STATUSES = {
    "published", "secondary", "below_threshold", "low_response", "extreme_share", "not_at_scale",
}


@dataclass
class Case:
    """A theme's cells, their table and the index of the real (published) cells."""

    cells: pd.DataFrame  # indicator, category, scale, area_id, count, base
    table: CellTable
    n_real: int
    base_of: dict[str, tuple[str, str]]

    def cell(self, indicator: str, category: str, area_id: str) -> int:
        hit = self.cells.index[
            (self.cells["indicator"] == indicator)
            & (self.cells["category"] == category)
            & (self.cells["area_id"] == area_id)
        ]
        assert len(hit) == 1, (indicator, category, area_id)
        return int(hit[0])

    def naive(self) -> np.ndarray:
        """Primary-only suppression: what a careless publisher would withhold."""
        return self.table.initial_withheld()


def geography(areas: dict[str, tuple[str, list[str]]]) -> Geography:
    """``{area_id: (scale, [atom ids])}`` -> Geography."""
    rows = [(a, s) for a, (s, _) in areas.items()]
    members = [(a, atom) for a, (_, atoms) in areas.items() for atom in atoms]
    atoms = pd.Index(sorted({m for _, m in members}), name="atom_id")
    return Geography(
        pd.DataFrame(rows, columns=["area_id", "scale"]),
        atoms,
        pd.DataFrame(members, columns=["area_id", "atom_id"]),
    )


def make_case(
    areas: dict[str, tuple[str, list[str]]],
    per_atom: pd.DataFrame,
    theme: str,
    base_of: dict[str, tuple[str, str]],
    population: set[str] | None = None,
    atom_upper: dict[str, int] | None = None,
) -> Case:
    """Cells of every area over the atom counts; primary rules 1-4; the constraint table.

    ``per_atom``: index = atom ids, columns = MultiIndex (indicator, category);
    ``atom_upper``: the public dwelling count of each atom (the attacker's upper bounds).
    """
    geo = geography(areas)
    per_atom = per_atom.reindex(geo.atoms).fillna(0).astype(np.int64)
    columns = list(per_atom.columns)
    area_counts = geo.matrix() @ per_atom.to_numpy()
    col_of = {c: j for j, c in enumerate(columns)}
    rows = []
    for a, (area_id, scale) in enumerate(zip(geo.areas["area_id"], geo.areas["scale"], strict=True)):
        for j, (ind, cat) in enumerate(columns):
            count = int(area_counts[a, j])
            base = int(area_counts[a, col_of[base_of[ind]]]) if ind in base_of else count
            rows.append((ind, cat, scale, area_id, count, base))
    cells = pd.DataFrame(rows, columns=["indicator", "category", "scale", "area_id", "count", "base"])
    status = primary_statuses(cells, theme, dictionary(), RULES, base_of)
    primary = np.where(status == "published", "", status).astype(object)
    if population is None:
        population = {i for i, c in columns if c == ""}
    upper = area_upper = None
    if atom_upper is not None:  # as the adapter does: an area's bound is its dwellings' sum
        upper = pd.Series(atom_upper).reindex(geo.atoms).to_numpy(float)
        by_area = pd.Series(geo.matrix() @ upper, index=geo.areas["area_id"])
        area_upper = by_area.reindex(cells["area_id"]).to_numpy(float)
    table, n = build_table(
        cells, geo, base_of, sparse.csr_matrix(per_atom.to_numpy()), columns, primary,
        atom_upper=upper, population=population, area_upper=area_upper,
    )
    return Case(cells, table, n, base_of)


def counts_frame(data: dict[str, dict[tuple[str, str], int]]) -> pd.DataFrame:
    """``{atom: {(indicator, category): count}}`` -> per-atom frame."""
    frame = pd.DataFrame.from_dict(data, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame.fillna(0).astype(np.int64)


def brute_force_intervals(table: CellTable, withheld: np.ndarray) -> dict[int, tuple[float, float]]:
    """Exact feasible interval of every withheld cell, one scipy ``linprog`` per bound.

    Independent of the audit: all withheld cells in one LP, no blocks, a different solver path.
    """
    withheld = (np.asarray(withheld, dtype=bool) & ~table.known) | table.virtual
    a = table.constraints.toarray().astype(float)
    w = np.flatnonzero(withheld)
    a_eq = a[:, w]
    b_eq = -a[:, ~withheld] @ table.values[~withheld]
    keep = np.abs(a_eq).sum(axis=1) > 0
    a_eq, b_eq = a_eq[keep], b_eq[keep]
    bounds = [(0.0, None if not np.isfinite(table.upper[c]) else float(table.upper[c])) for c in w]
    out: dict[int, tuple[float, float]] = {}
    for k, c in enumerate(w):
        if table.virtual[c]:
            continue
        if len(a_eq) == 0:
            out[int(c)] = (0.0, np.inf if bounds[k][1] is None else bounds[k][1])
            continue
        obj = np.zeros(len(w))
        obj[k] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs-ds")
        assert lo.status == 0, lo.message
        upper = np.inf if hi.status == 3 else -hi.fun
        assert hi.status in (0, 3), hi.message
        out[int(c)] = (lo.fun, upper)
    return out


def brute_force_disclosed(
    table: CellTable, withheld: np.ndarray, protection: int = 3
) -> set[int]:
    """Cells whose exact interval is narrower than the protection rule allows."""
    found = set()
    for c, (lo, hi) in brute_force_intervals(table, withheld).items():
        v = float(table.values[c])
        need_lo = max(0.0, v - protection)
        need_hi = min(v + protection, float(table.upper[c]), float(table.ceiling[c]))
        if lo > need_lo + 1e-6 or hi < need_hi - 1e-6:
            found.add(c)
    return found


def brute_force_small_groups(table: CellTable, withheld: np.ndarray, threshold: int = 11) -> set[int]:
    """Population rows whose withheld parts have an exactly derivable sum in [1, threshold - 1].

    Unlike the audit, the sum is bounded by linear programming over every constraint, so
    a sum derived through several constraints is found too.
    """
    withheld = (np.asarray(withheld, dtype=bool) & ~table.known) | table.virtual
    a = table.constraints.toarray().astype(float)
    w = np.flatnonzero(withheld)
    a_eq, b_eq = a[:, w], -a[:, ~withheld] @ table.values[~withheld]
    keep = np.abs(a_eq).sum(axis=1) > 0
    bounds = [(0.0, None if not np.isfinite(table.upper[c]) else float(table.upper[c])) for c in w]
    found = set()
    for row in np.flatnonzero(table.population):
        parts = (a[row, w] > 0)
        if not (parts & ~table.virtual[w]).any():
            continue
        obj = parts.astype(float)
        lo = linprog(obj, A_eq=a_eq[keep], b_eq=b_eq[keep], bounds=bounds, method="highs-ds")
        hi = linprog(-obj, A_eq=a_eq[keep], b_eq=b_eq[keep], bounds=bounds, method="highs-ds")
        if lo.status == 0 and hi.status == 0 and abs(lo.fun + hi.fun) < 1e-6 and 1 <= lo.fun < threshold:
            found.add(int(row))
    return found
