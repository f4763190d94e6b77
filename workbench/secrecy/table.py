"""A table of counts for the secrecy engine: cells, additivity constraints, attacker knowledge.

Every constraint says ``total = sum(parts)`` and is stored as one row of a sparse matrix ``A``
with ``A @ x = 0`` (+1 for parts, -1 for the total). Cells may be *virtual*: pieces that are
never published (e.g. the part of an IRIS inside a QPV) but that the attacker's model needs so
that crossing geographies add up; virtual cells are always unknown and need no protection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass
class Layout:
    """Where a table's cells sit, when it was built from areas × columns (hierarchy.py).

    ``membership`` is areas × atoms; ``cell_of[area, column]`` and ``atom_cell[atom, column]``
    are cell indices (-1: none; an atom that is a published area has that area's cells, a
    virtual atom its own virtual cells).
    """

    membership: sparse.csr_matrix
    cell_of: np.ndarray
    atom_cell: np.ndarray

    def __post_init__(self) -> None:
        self.membership = sparse.csr_matrix(self.membership)
        self.areas_of = self.membership.T.tocsr()  # atoms × areas
        self.size = np.diff(self.membership.indptr)
        n = int(max(self.cell_of.max(initial=-1), self.atom_cell.max(initial=-1))) + 1
        self.area = np.full(n, -1)  # per cell, its area (-1: a virtual cell)
        areas, cols = np.nonzero(self.cell_of >= 0)
        self.area[self.cell_of[areas, cols]] = areas

    def atoms(self, area: int) -> np.ndarray:
        """The atoms an area holds."""
        return self.membership.indices[self.membership.indptr[area] : self.membership.indptr[area + 1]]

    def area_of(self, cell: int) -> int:
        """The area a cell belongs to (-1: a virtual cell)."""
        return int(self.area[cell]) if cell < len(self.area) else -1

    def region(self, area: int) -> int:
        """The largest area that strictly holds ``area`` without holding every atom (a
        résidence's or an IRIS's commune, say), or -1."""
        atoms = self.atoms(area) if area >= 0 else []
        if not len(atoms):
            return -1
        holders = self.areas_of.indices[self.areas_of.indptr[atoms[0]] : self.areas_of.indptr[atoms[0] + 1]]
        best = -1
        for p in holders:
            if self.size[area] < self.size[p] < self.membership.shape[1] and (best < 0 or self.size[p] > self.size[best]):
                if np.isin(atoms, self.atoms(p), assume_unique=True).all():
                    best = int(p)
        return best

    def cells_within(self, area: int) -> np.ndarray:
        """Every cell of the areas that ``area`` holds (itself included) and of its virtual atoms."""
        atoms = self.atoms(area)
        touched = self.areas_of[atoms]
        shared = np.bincount(touched.indices, minlength=self.membership.shape[0])
        held = np.flatnonzero((shared == self.size) & (self.size > 0))
        cells = np.concatenate([self.cell_of[held].ravel(), self.atom_cell[atoms].ravel()])
        return np.unique(cells[cells >= 0])


@dataclass
class CellTable:
    """Cells and linear constraints; arrays are aligned on the cell index 0..n-1."""

    values: np.ndarray  # true non-negative integer value of each cell
    constraints: sparse.csr_matrix  # m x n, A @ values == 0
    primary: np.ndarray  # object array: "" or the primary reason
    cost: np.ndarray | None = None  # cost of withholding a cell (default: value + 1; inf: never)
    upper: np.ndarray | None = None  # attacker's prior upper bound (default: +inf)
    virtual: np.ndarray | None = None  # never published, never protected
    population: np.ndarray | None = None  # constraint rows whose withheld union must reach the threshold
    known: np.ndarray | None = None  # public knowledge (e.g. RPLS dwelling counts): never secret
    # Highest value a cell's protection interval must reach (default: +inf). A share's category
    # cannot exceed its base: hiding that it reaches the base is what rule 3 asks, and asking
    # for v + p above it would force the base out whenever a share is near 100 %.
    ceiling: np.ndarray | None = None
    # dependents[b, j] = 1: withholding cell b withholds cell j too (a share's categories go
    # with its base: a published share and count would give the base away).
    dependents: sparse.csr_matrix | None = None
    labels: pd.DataFrame | None = field(default=None, repr=False)  # who each cell is (bench/peer_tables.py)
    layout: Layout | None = field(default=None, repr=False)  # areas × columns, when built from them

    def __post_init__(self) -> None:
        n = len(self.values)
        self.values = np.asarray(self.values, dtype=np.int64)
        self.primary = np.asarray(self.primary, dtype=object)
        if self.cost is None:
            self.cost = self.values.astype(float) + 1.0
        if self.upper is None:
            self.upper = np.full(n, np.inf)
        if self.virtual is None:
            self.virtual = np.zeros(n, dtype=bool)
        if self.known is None:
            self.known = np.zeros(n, dtype=bool)
        self.ceiling = np.full(n, np.inf) if self.ceiling is None else np.asarray(self.ceiling, dtype=float)
        if self.population is None:
            self.population = np.zeros(self.constraints.shape[0], dtype=bool)
        self.constraints = sparse.csr_matrix(self.constraints, dtype=np.int8)
        if self.constraints.shape[1] != n:
            raise ValueError("contraintes et cellules de tailles différentes")
        residual = self.constraints @ self.values
        if np.any(residual != 0):
            row = int(np.flatnonzero(residual)[0])
            raise ValueError(f"la contrainte n° {row} n'est pas vérifiée par les valeurs (écart {residual[row]})")

    def close(self, withheld: np.ndarray) -> np.ndarray:
        """``withheld`` plus every cell that must follow a withheld cell (transitively)."""
        out = np.asarray(withheld, dtype=bool).copy()
        if self.dependents is None:
            return out
        new = out
        while new.any():
            reached = np.asarray(self.dependents.T @ new.astype(np.int8)).ravel() > 0
            new = reached & ~out
            out |= new
        return out

    def room_up(self) -> np.ndarray:
        """How far each cell can rise (its public upper bound, else a bound far above the table)."""
        big = float(max(self.values.sum(), 1) * 10)
        return np.minimum(self.upper, big) - self.values

    def requirement(self, protection: int) -> tuple[np.ndarray, np.ndarray]:
        """How far each withheld cell must be able to move up and down for the attacker not to
        pin it: ``protection`` either way, within its room and its ceiling (never below 0)."""
        up = np.clip(np.minimum(np.minimum(protection, self.room_up()), self.ceiling - self.values), 0, None)
        return up, np.minimum(float(protection), self.values.astype(float))

    @property
    def n(self) -> int:
        return len(self.values)

    def initial_withheld(self) -> np.ndarray:
        """Cells unknown to the attacker at the start: primary (not public), their dependents
        and virtual cells."""
        return self.close((self.primary != "") & ~self.known) | self.virtual


def constraint_rows(
    totals: list[int] | np.ndarray, parts: list[list[int]], n: int | None = None
) -> sparse.csr_matrix:
    """Build ``A`` from (total, parts) pairs over ``n`` cells."""
    rows, cols, vals = [], [], []
    for i, (t, ps) in enumerate(zip(totals, parts, strict=True)):
        rows.append(i)
        cols.append(int(t))
        vals.append(-1)
        for p in ps:
            rows.append(i)
            cols.append(int(p))
            vals.append(1)
    if n is None:
        n = (max(cols) + 1) if cols else 0
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(totals), n), dtype=np.int8)


def index_ranges(indptr: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Concatenated index ranges ``indptr[i]:indptr[i+1]`` for every ``i`` in ``which``."""
    starts, ends = indptr[which], indptr[which + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.array([], dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(lengths.sum())


def distinct(values: np.ndarray, size: int) -> np.ndarray:
    """``np.unique`` of indices below ``size``: by marking them where the list is long (a
    neighbourhood's constraints, reached again from each of its cells: 2.1 ms sorted, 0.4 ms
    marked for 15,000 occupation cells), by sorting where it is short."""
    if len(values) * 16 < size:
        return np.unique(values)
    mark = np.zeros(size, dtype=bool)
    mark[values] = True
    return np.flatnonzero(mark)


def rows_of(csc: sparse.csc_matrix, cells: np.ndarray) -> np.ndarray:
    """The constraints (rows of ``csc``) that hold any of ``cells``, in order."""
    return distinct(csc.indices[index_ranges(csc.indptr, cells)], csc.shape[0])


def near(
    csr: sparse.csr_matrix, csc: sparse.csc_matrix, k: int, max_cells: int, radius: int = 10**9,
    rank: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Cells within ``radius`` constraints of ``k`` (``k`` first), breadth first, at most
    ``max_cells``: when a layer overflows, ``rank`` (an order of its cells) says who gets in."""
    inside = np.array([k])
    frontier = inside
    # What each layer reached before, so that only the new is sorted (a commune's row holds
    # thousands of cells, reached again from each of its résidences).
    seen = np.zeros(csc.shape[1], dtype=bool)
    seen[k] = True
    expanded = np.zeros(csr.shape[0], dtype=bool)
    for _ in range(radius):
        rows = csc.indices[index_ranges(csc.indptr, frontier)]
        rows = distinct(rows[~expanded[rows]], csr.shape[0])
        expanded[rows] = True
        reached = csr.indices[index_ranges(csr.indptr, rows)]
        new = distinct(reached[~seen[reached]], csc.shape[1])
        if not len(new):
            break
        seen[new] = True
        room = max_cells - len(inside)
        if len(new) > room:
            if rank is not None:
                new = new[rank(new)]
            return np.concatenate([inside, new[: max(room, 0)]])
        inside = np.concatenate([inside, new])
        frontier = new
    return inside
