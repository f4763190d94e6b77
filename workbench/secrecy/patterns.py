"""Protection patterns: the secondary cells each withheld cell needs, found by linear programming.

For a withheld cell ``k`` and a direction, a *pattern* is a perturbation ``y`` of cells such that
``A @ y = 0`` (every constraint still adds up), ``0 <= v + y <= upper`` (non-negativity and the
attacker's public bounds), ``y`` is zero on every published and public cell, and ``y[k]`` equals
the required protection. Withholding the support of ``y`` is then enough: ``v + y`` is a table
the attacker cannot tell from the true one, so ``k`` cannot be pinned closer than that — and the
same holds for every other cell ``y`` moves, by ``y[j]`` (and by ``-y[j]`` when ``v - y`` is
feasible too). Each pattern is the cheapest one on a neighbourhood of ``k`` (cells outside it
held still, which keeps the pattern valid for the whole table), found by HiGHS: the LP heuristic
of Kelly, Golden and Assad that τ-Argus's optimal method also builds on.

Certified amounts only grow as more cells are withheld, so one pass over the withheld cells —
each cell solved only while its own certification falls short — protects them all; the audit
then checks the result independently.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from workbench.secrecy.table import CellTable

WITHHELD_COST = 1e-3  # moving a cell already withheld is almost free: reuse before adding


class PatternSolver:
    """Find and record protection patterns on one table, cell by cell."""

    def __init__(
        self, table: CellTable, withheld: np.ndarray, protection: int,
        radius: int = 3, max_cells: int = 600,
    ) -> None:
        self.t = table
        self.w = np.asarray(withheld, dtype=bool).copy()
        self.csr = table.constraints.tocsr()
        self.csc = table.constraints.tocsc()
        v = table.values.astype(float)
        big = float(max(table.values.sum(), 1) * 10)
        fixed = table.known & ~table.virtual  # public counts cannot move
        self.up = np.where(fixed, 0.0, np.minimum(table.upper, big) - v)
        self.down = np.where(fixed, 0.0, v)
        self.need_up = np.clip(np.minimum(np.minimum(protection, self.up), table.ceiling - v), 0, None)
        self.need_down = np.minimum(float(protection), v)
        self.got_up = np.zeros(table.n)
        self.got_down = np.zeros(table.n)
        self.radius = radius
        self.max_cells = max_cells
        self.solves = 0

    def missing(self, k: int) -> list[float]:
        """Directions (+1 up, -1 down) in which cell ``k`` is not yet certified."""
        out = []
        if self.got_up[k] < self.need_up[k] - 1e-9:
            out.append(1.0)
        if self.got_down[k] < self.need_down[k] - 1e-9:
            out.append(-1.0)
        return out

    def neighbourhood(self, k: int, grow: int = 0) -> np.ndarray:
        """Cells within ``radius`` constraints of ``k``; free cells first when capped."""
        inside = np.array([k])
        frontier = inside
        max_cells = self.max_cells * 5**grow
        for _ in range(self.radius + 2 * grow):
            rows = np.unique(self.csc.indices[_ranges(self.csc.indptr, frontier)])
            reached = np.unique(self.csr.indices[_ranges(self.csr.indptr, rows)])
            new = np.setdiff1d(reached, inside, assume_unique=True)
            if not len(new):
                break
            room = max_cells - len(inside)
            if len(new) > room:
                free = self.w[new] | self.t.virtual[new]
                order = np.lexsort((self.t.cost[new], ~free))
                new = new[order[: max(room, 0)]]
                inside = np.concatenate([inside, new])
                break
            inside = np.concatenate([inside, new])
            frontier = new
        return inside

    def solve(self, k: int, sense: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Cheapest pattern moving ``k`` by its requirement in direction ``sense``: (cells, y).

        The neighbourhood grows when it holds no pattern (its border is held still)."""
        for grow in range(3):
            found = self._solve_on(k, sense, self.neighbourhood(k, grow))
            if found is not None:
                return found
        return None

    def _solve_on(self, k: int, sense: float, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        rows = np.unique(self.csc.indices[_ranges(self.csc.indptr, cells)])
        sub = self.csr[rows][:, cells].astype(float)
        n = len(cells)
        free = self.w[cells] | self.t.virtual[cells]
        cost = np.where(free, WITHHELD_COST, self.t.cost[cells].astype(float))
        cost[self.t.virtual[cells]] = 0.0
        hi_plus, hi_minus = self.up[cells].copy(), self.down[cells].copy()
        lo_plus, lo_minus = np.zeros(n), np.zeros(n)
        amount = self.need_up[k] if sense > 0 else self.need_down[k]
        (hi_plus if sense > 0 else hi_minus)[0] = amount
        (lo_plus if sense > 0 else lo_minus)[0] = amount
        (hi_minus if sense > 0 else hi_plus)[0] = 0.0
        a = sparse.hstack([sub, -sub], format="csr")
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.addVars(2 * n, np.concatenate([lo_plus, lo_minus]), np.concatenate([hi_plus, hi_minus]))
        h.changeColsCost(2 * n, np.arange(2 * n, dtype=np.int32), np.concatenate([cost, cost]))
        zeros = np.zeros(a.shape[0])
        h.addRows(
            a.shape[0], zeros, zeros, a.nnz,
            a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data,
        )
        h.run()
        self.solves += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(h.getSolution().col_value)
        y = x[:n] - x[n:]
        moved = np.abs(y) > 1e-7
        return cells[moved], y[moved]

    def record(self, cells: np.ndarray, y: np.ndarray) -> None:
        """Credit every cell a pattern moves, both ways when the mirrored table is feasible."""
        self.got_up[cells] = np.maximum(self.got_up[cells], np.clip(y, 0, None))
        self.got_down[cells] = np.maximum(self.got_down[cells], np.clip(-y, 0, None))
        if np.all(np.where(y > 0, y <= self.down[cells] + 1e-9, -y <= self.up[cells] + 1e-9)):
            self.got_up[cells] = np.maximum(self.got_up[cells], np.clip(-y, 0, None))
            self.got_down[cells] = np.maximum(self.got_down[cells], np.clip(y, 0, None))

    def protect_all(self, targets: np.ndarray) -> tuple[list[int], list[int]]:
        """Patterns for ``targets`` and for every cell they add; returns (added, unsolved)."""
        queue = list(targets[::-1])
        added: list[int] = []
        unsolved: list[int] = []
        while queue:
            k = int(queue.pop())
            for sense in self.missing(k):
                if sense not in self.missing(k):
                    continue  # certified meanwhile by the other direction's pattern
                found = self.solve(k, sense)
                if found is None:
                    unsolved.append(k)
                    continue
                cells, y = found
                grown = np.zeros_like(self.w)
                grown[cells] = True
                grown = self.t.close(grown | self.w) & ~self.w
                new = np.flatnonzero(grown)
                self.w[new] = True
                added.extend(int(j) for j in new)
                queue.extend(int(j) for j in new if not self.t.virtual[j])
                self.record(cells, y)
        return added, unsolved


def _ranges(indptr: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Concatenated index ranges ``indptr[i]:indptr[i+1]`` for every ``i`` in ``which``."""
    starts, ends = indptr[which], indptr[which + 1]
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.array([], dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(lengths.sum())
