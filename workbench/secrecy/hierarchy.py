"""Additivity constraints of a theme's published cells, from its geography and variables.

Geographic constraints: each area is the sum of the coarsest finer scale that partitions it
exactly (EPCI = communes, commune = IRIS, IRIS = résidences; a QPV or a "commune hors QPV",
which cut IRIS, = their résidences; a single-IRIS commune = its IRIS). Never "EPCI = all
résidences": sparse constraints keep the blocks of linked withheld cells small. Areas that are
not unions of published areas (landlords and réservataires cut communes) are expressed over
*virtual* atoms that are never published. Category constraints: in every area, the base of a
share equals the sum of its categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from workbench.secrecy.table import CellTable, Layout

SCALE_RANK = {
    "epci": 0, "commune": 1, "commune_hors_qpv": 2, "qpv": 3, "iris": 4, "bailleur": 5,
    "reservataire": 6, "residence": 7,
}


@dataclass
class Geography:
    """Areas (area_id, scale) as sets of atoms (membership: area_id, atom_id)."""

    areas: pd.DataFrame
    atoms: pd.Index
    membership: pd.DataFrame

    def matrix(self) -> sparse.csr_matrix:
        rows = pd.Index(self.areas["area_id"]).get_indexer(self.membership["area_id"])
        cols = self.atoms.get_indexer(self.membership["atom_id"])
        return sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)),
            shape=(len(self.areas), len(self.atoms)),
        )


def partitions(geo: Geography) -> tuple[list[tuple[int, np.ndarray]], np.ndarray]:
    """For each area: the areas that partition it (or ``None`` → its atoms); atom areas.

    Returns ``(children, atom_area)`` where ``children`` lists (area index, child area
    indices) and ``atom_area[k]`` is the area index equal to atom k, or -1 (virtual atom).
    """
    m = geo.matrix().astype(np.int64)
    size = np.asarray(m.sum(axis=1)).ravel()
    scales = geo.areas["scale"].to_numpy()
    rank = np.array([SCALE_RANK.get(s, 99) for s in scales])
    # An atom is an area when a one-atom area of the finest scale holds exactly it.
    atom_area = np.full(len(geo.atoms), -1)
    finest = rank == rank.max()
    single = np.flatnonzero(finest & (size == 1))
    if len(single):
        atom_of = m[single].indices if m[single].nnz == len(single) else None
        if atom_of is not None:
            atom_area[atom_of] = single
    inter = (m @ m.T).tocsc()  # shared atoms between every pair of areas
    out: list[tuple[int, np.ndarray]] = []
    by_scale = {s: np.flatnonzero(scales == s) for s in pd.unique(scales)}
    for p in range(len(scales)):
        if (atom_area == p).any():
            continue
        col = inter[:, p]
        touching, shared = col.indices, col.data
        chosen = None
        for s in sorted(by_scale, key=lambda s: SCALE_RANK.get(s, 99)):
            if SCALE_RANK.get(s, 99) <= rank[p]:
                continue
            sel = np.isin(touching, by_scale[s])
            kids, kshared = touching[sel], shared[sel]
            if len(kids) and (kshared == size[kids]).all() and kshared.sum() == size[p]:
                chosen = kids
                break
        out.append((p, chosen))
    return out, atom_area


def build_table(
    cells: pd.DataFrame,
    geo: Geography,
    base_of: dict[str, tuple[str, str]],
    per_atom: sparse.csr_matrix,
    columns: list[tuple[str, str]],
    primary: np.ndarray,
    cost: np.ndarray | None = None,
    known: np.ndarray | None = None,
    atom_upper: np.ndarray | None = None,
    population: set[str] = frozenset(),
    area_upper: np.ndarray | None = None,
) -> tuple[CellTable, int]:
    """A CellTable over ``cells`` (rows 0..n-1) plus the virtual atom cells it needs.

    ``cells`` has columns indicator, category, area_id (one row per area and column).
    ``base_of`` maps a share indicator to its base cell (indicator, category).
    ``known`` marks cells the attacker already knows (public counts): treated as published by
    the audit whatever their display status. ``atom_upper`` bounds every cell of an atom
    (e.g. households <= public dwelling count of the résidence); ``area_upper`` (one per cell
    row of ``cells``) does the same for published areas: the attacker's prior, so that a
    cell is not called disclosed for what public knowledge alone already says.
    Returns (table, n_real).
    """
    n_real = len(cells)
    col_index = {c: i for i, c in enumerate(columns)}
    area_pos = pd.Index(geo.areas["area_id"])
    a_idx = area_pos.get_indexer(cells["area_id"])
    c_idx = np.array([col_index[(i, c)] for i, c in zip(cells["indicator"], cells["category"], strict=True)])
    n_cols = len(columns)
    cell_of = np.full((len(area_pos), n_cols), -1, dtype=np.int64)
    cell_of[a_idx, c_idx] = np.arange(n_real)
    children, atom_area = partitions(geo)
    # Virtual atom cells (atoms that are not published areas): one per atom and column.
    virtual_atoms = np.flatnonzero(atom_area < 0)
    atom_cell = np.full((len(geo.atoms), n_cols), -1, dtype=np.int64)
    real_atoms = np.flatnonzero(atom_area >= 0)
    atom_cell[real_atoms] = cell_of[atom_area[real_atoms]]
    n_virtual = len(virtual_atoms) * n_cols
    atom_cell[virtual_atoms] = n_real + np.arange(n_virtual).reshape(len(virtual_atoms), n_cols)
    dense_atoms = per_atom.toarray() if n_virtual else None
    values = np.concatenate(
        [cells["count"].to_numpy(dtype=np.int64), dense_atoms[virtual_atoms].ravel() if n_virtual else []]
    ).astype(np.int64)
    n = len(values)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    pop_rows: list[bool] = []
    row = 0
    m = geo.matrix().tocsr()
    pop_cols = np.array([c[0] in population and c[1] == "" for c in columns])

    def add_rows(totals: np.ndarray, parts: np.ndarray, pop: np.ndarray) -> None:
        """One constraint per column: totals[j] = sum(parts[:, j])."""
        nonlocal row
        ok = totals >= 0
        k = int(ok.sum())
        if k == 0:
            return
        r = np.arange(row, row + k)
        rows.append(r)
        cols.append(totals[ok])
        vals.append(-np.ones(k, dtype=np.int8))
        for part in parts:
            rows.append(r)
            cols.append(part[ok])
            vals.append(np.ones(k, dtype=np.int8))
        pop_rows.extend(pop[ok])
        row += k

    for p, kids in children:
        totals = cell_of[p]
        if kids is None:
            atoms = m[p].indices
            parts = atom_cell[atoms]
        else:
            parts = cell_of[kids]
        if (parts < 0).any():
            parts = np.where(parts < 0, -1, parts)
        add_rows(totals, parts, pop_cols)
    # Category constraints in every area and every virtual atom.
    share_groups: dict[tuple[str, str], list[int]] = {}
    for j, (ind, cat) in enumerate(columns):
        if cat and ind in base_of:
            share_groups.setdefault((ind, *base_of[ind]), []).append(j)
    holders = np.vstack([cell_of, atom_cell[virtual_atoms]]) if n_virtual else cell_of
    for (_ind, b_ind, b_cat), js in share_groups.items():
        base_col = col_index[(b_ind, b_cat)]
        add_rows(holders[:, base_col], holders[:, js].T, np.zeros(len(holders), dtype=bool))
    r = np.concatenate(rows) if rows else np.array([], dtype=int)
    c = np.concatenate(cols) if cols else np.array([], dtype=int)
    v = np.concatenate(vals) if vals else np.array([], dtype=np.int8)
    keep = c >= 0
    a = sparse.csr_matrix((v[keep], (r[keep], c[keep])), shape=(row, n), dtype=np.int8)
    a.sum_duplicates()
    prim = np.concatenate([primary, np.full(n_virtual, "", dtype=object)])
    virtual = np.zeros(n, dtype=bool)
    virtual[n_real:] = True
    full_cost = np.concatenate([cost if cost is not None else cells["count"].to_numpy() + 1.0, np.zeros(n_virtual)])
    upper = np.full(n, np.inf)
    if atom_upper is not None:
        bound = np.broadcast_to(np.asarray(atom_upper, dtype=float)[:, None], atom_cell.shape)
        ok = (atom_cell >= 0) & np.isfinite(bound)
        upper[atom_cell[ok]] = bound[ok]
    if area_upper is not None:
        upper[:n_real] = np.minimum(upper[:n_real], np.asarray(area_upper, dtype=float))
    known_all = np.zeros(n, dtype=bool)
    if known is not None:
        known_all[:n_real] = known
    ceiling = np.full(n, np.inf)
    if "base" in cells:  # a share's category never needs protecting above its base
        ceiling[:n_real] = cells["base"].fillna(np.inf).to_numpy(dtype=float)
    # A share's categories follow their base out (with the count published, share = count / base
    # would give the base away).
    is_share = np.array([c[0] in base_of and c[1] != "" for c in columns])[c_idx]
    base_col = np.array([col_index.get(base_of.get(c[0], ("", "")), -1) for c in columns])[c_idx]
    share_rows = np.flatnonzero(is_share)
    base_cells = cell_of[a_idx[share_rows], base_col[share_rows]]
    ok = base_cells >= 0
    dependents = sparse.csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.int8), (base_cells[ok], share_rows[ok])), shape=(n, n)
    )
    table = CellTable(
        values=values, constraints=a, primary=prim, cost=full_cost, upper=upper,
        virtual=virtual, population=np.array(pop_rows, dtype=bool), known=known_all, ceiling=ceiling,
        dependents=dependents, layout=Layout(m, cell_of, atom_cell),
    )
    return table, n_real
