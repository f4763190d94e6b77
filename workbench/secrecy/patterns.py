"""Protection patterns: the secondary cells each withheld cell needs, found by linear programming.

For a withheld cell ``k`` and a direction, a *pattern* is a perturbation ``y`` of cells such that
``A @ y = 0`` (every constraint still adds up), ``0 <= v + y <= upper`` (non-negativity and the
attacker's public bounds), ``y`` is zero on every published and public cell, and ``y[k]`` equals
the required protection. Withholding the support of ``y`` is then enough: ``v + y`` is a table
the attacker cannot tell from the true one, so ``k`` cannot be pinned closer than that — and the
same holds for every other cell ``y`` moves, by ``y[j]`` (and by ``-y[j]`` when ``v - y`` is
feasible too). Each pattern is the cheapest one on a neighbourhood of ``k`` (cells outside it
held still, which keeps the pattern valid for the whole table) or on its whole component when
that is small or busy enough (its region first: the commune of a résidence or an IRIS), found
by HiGHS: the LP heuristic
of Kelly, Golden and Assad that τ-Argus's optimal method also builds on.

Certified amounts only grow as more cells are withheld, so a cell is solved only while its own
certification falls short; a pattern is paid a little for each unit it moves the round's other
targets their way, so that one programme certifies the neighbours that withheld cells alone can
carry (``TARGET_REWARD``). The secondary suppression asks for patterns only for the cells the
audit recovers, and the audit then checks the result independently.
"""

from __future__ import annotations

from collections import OrderedDict

import highspy
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from workbench.secrecy import solver
from workbench.secrecy.table import CellTable, near, rows_of

# Neighbourhood sizes tried before a relaxed pattern: 3,000 cells within 5 constraints, then
# 15,000 within 7. A first try on 600 within 3 found a pattern for one occupation target in
# ten; the larger ones find cheaper patterns too (occupation 2024, first round: 8.8 -> 8.4 s,
# 154,498 -> 146,947 units added).
GROW = 2
RELAXED_MAX_CELLS = 20_000  # beyond, a relaxed programme costs more than the audit's repair
WITHHELD_COST = 1e-5  # moving a cell already withheld is almost free: reuse before adding
# A pattern is paid this much for each unit it moves another target of the round its way (a
# negative cost): where withheld cells alone let it, one programme lifts the neighbouring targets
# as well, and they need none of their own (stock 2024, first round: 4,269 programmes and 926
# cells added without, 1,486 and 874 with). Far below any new cell's cost (at least 1 a unit),
# far above a cycle of withheld cells' (WITHHELD_COST a unit each): a new cell comes in for the
# reward's sake only if a unit of its move carried a hundred targets.
TARGET_REWARD = 1e-2
AREA_CELLS = 4000  # cells of a programme shared by the targets near each other
AREA_MIN_TARGETS = 3  # fewer targets in an area: their own neighbourhoods are cheaper
# Targets whose component (the cells that can move with them) is no larger, and holds at least
# one target per COMPONENT_CELLS_PER_TARGET cells, get their patterns on the whole component:
# one programme per component re-solved from its last basis, exact (no border), so it never
# fails for want of room. The stock's indicators, whose bases are public, are such components
# (8 to 32 thousand cells at full size: 15 ms a pattern); the occupation's withheld bases link
# everything into one (a quarter of a second a pattern: neighbourhoods). A few targets in a
# large component are cheaper on their neighbourhoods than building its programme, but not
# below COMPONENT_ALWAYS cells, about the largest neighbourhood tried (the full attributions'
# 16,000 cells, mostly virtual: 3 targets, 4 solves instead of 24 and 29 s).
# Before its whole component, a target's pattern is sought in its region (Layout.region): the
# region's programmes are kept, the least recently used dropped beyond REGION_MODELS; a region
# holding more than REGION_SHARE of the component is skipped.
REGION_MODELS = 64
REGION_SHARE = 0.5
COMPONENT_CELLS = 50_000
COMPONENT_CELLS_PER_TARGET = 1000
COMPONENT_ALWAYS = 20_000
INTERIOR_COLUMNS = 1000  # columns from which a programme with virtual pieces is solved by interior point


class PatternSolver:
    """Find and record protection patterns on one table, cell by cell."""

    def __init__(
        self, table: CellTable, withheld: np.ndarray, protection: int,
        radius: int = 5, max_cells: int = 3000,
    ) -> None:
        self.t = table
        self.w = np.asarray(withheld, dtype=bool).copy()
        self.csr = table.constraints.tocsr()
        self.csc = table.constraints.tocsc()
        # Public counts cannot move, nor can cells that must never be withheld (infinite cost).
        fixed = (table.known & ~table.virtual) | (~np.isfinite(table.cost) & ~self.w)
        self.up = np.where(fixed, 0.0, table.room_up())
        self.down = np.where(fixed, 0.0, table.values.astype(float))
        self.need_up, self.need_down = table.requirement(protection)  # asked of targets only
        self.got_up = np.zeros(table.n)
        self.got_down = np.zeros(table.n)
        self.radius = radius
        self.max_cells = max_cells
        self.solves = 0
        self._relaxed: _Model | None = None
        self.hinted = np.zeros(table.n, dtype=bool)  # given a relaxed pattern (not certified)
        # (cell, direction) with no pattern on any neighbourhood: published cells may join a
        # pattern at a price, so whether one exists does not depend on what is withheld — not
        # worth solving again each round (the exact audit and its repair decide).
        self.failed: set[tuple[int, float]] = set()
        self._area: tuple[_Model, np.ndarray] | None = None  # shared model, its inner cells
        self.component, self.component_size = _components(self.csc, self.up + self.down > 0)
        self._components: dict[int, _Model] = {}
        self._exact = np.zeros(len(self.component_size), dtype=bool)  # components solved whole
        self._region_of: dict[int, int] = {}  # area -> its region (Layout.region), -1: none
        self._regions: OrderedDict[tuple[int, int], _Model] = OrderedDict()  # (region, component)
        self.in_region = 0  # patterns found in their region
        # Certified patterns since the suppression last took them: the audit verifies each one
        # and counts the cells it moves as proven, without a programme of its own.
        self.witnesses: list[tuple[np.ndarray, np.ndarray]] = []
        # The round's targets still short of their requirement upward and downward.
        self.wanted_up = np.zeros(table.n, dtype=bool)
        self.wanted_down = np.zeros(table.n, dtype=bool)

    def choose_components(self, targets: np.ndarray) -> None:
        """Solve on their whole component the targets of components small and busy enough."""
        c = self.component[targets]
        busy = np.bincount(c[c >= 0], minlength=len(self.component_size)) * COMPONENT_CELLS_PER_TARGET
        size = self.component_size
        self._exact = (size <= COMPONENT_ALWAYS) | ((size <= COMPONENT_CELLS) & (busy >= size))

    def whole_component(self, k: int) -> bool:
        """Whether ``k``'s patterns are sought on its whole component (exact: no fallback)."""
        return self.component[k] >= 0 and bool(self._exact[self.component[k]])

    def short(self, cells: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Whether ``cells`` are not yet certified up, and down, as far as they need."""
        return (self.got_up[cells] < self.need_up[cells] - 1e-9,
                self.got_down[cells] < self.need_down[cells] - 1e-9)

    def missing(self, k: int) -> list[float]:
        """Directions (+1 up, -1 down) in which cell ``k`` is not yet certified."""
        up, down = self.short(k)
        return [sense for sense, short in ((1.0, up), (-1.0, down)) if short]

    def neighbourhood(self, k: int, grow: int = 0) -> np.ndarray:
        """Cells within ``radius`` constraints of ``k``; free cells first when capped."""
        return self.neighbourhood_of_size(k, self.max_cells * 5**grow, self.radius + 2 * grow)

    def neighbourhood_of_size(self, k: int, size: int, radius: int = 10**9) -> np.ndarray:
        """At most ``size`` cells nearest ``k``; withheld and virtual cells, then the cheapest,
        get in first when a layer overflows (they are what patterns are made of)."""

        def free_first(cells: np.ndarray) -> np.ndarray:
            free = self.w[cells] | self.t.virtual[cells]
            return np.lexsort((self.t.cost[cells], ~free))

        return near(self.csr, self.csc, k, size, radius, free_first)

    def solve(self, k: int, sense: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Cheapest pattern moving ``k`` by its requirement in direction ``sense``: (cells, y).

        The neighbourhood grows when it holds no pattern (its border is held still). A target
        inside the current shared area is tried there first (a re-solve from the last basis)."""
        if self.whole_component(k):
            c = self.component[k]
            found = self._in_region(k, sense, c)
            if found is not None:
                self.in_region += 1
                return found
            return self.solve_whole(k, sense)
        if self._area is not None and self._area[1][k]:
            found = self._run(self._area[0], k, sense)
            if found is not None:
                return found
        for grow in range(GROW):
            cells = self.neighbourhood(k, grow)
            found = self._run(self._model(cells), k, sense)
            if found is not None:
                return found
        return None

    def _in_region(self, k: int, sense: float, component: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The cheapest pattern within ``k``'s region (its commune, for a résidence or an IRIS),
        the rest of the component held still: most patterns stay there, and the region's
        programme is a fraction of the component's (the stock's 2024 sample: 229 of 359 found
        there, in a fifth of the time). None: try the whole component."""
        layout = self.t.layout
        if layout is None:
            return None
        area = layout.area_of(k)
        if area not in self._region_of:
            self._region_of[area] = layout.region(area) if area >= 0 else -1
        region = self._region_of[area]
        if region < 0:
            return None
        key = (region, component)
        model = self._regions.pop(key, None)
        if model is None:
            cells = layout.cells_within(region)
            cells = cells[self.component[cells] == component]
            if len(cells) > REGION_SHARE * self.component_size[component]:
                return None  # hardly smaller than the component: solve there at once
            model = self._model(cells)
        self._regions[key] = model  # most recently used last
        if len(self._regions) > REGION_MODELS:
            self._regions.popitem(last=False)
        return self._run(model, k, sense)

    def solve_whole(self, k: int, sense: float) -> tuple[np.ndarray, np.ndarray] | None:
        """The cheapest pattern on ``k``'s whole component, which is as good as the whole table
        (no constraint holds movable cells of two components, so a pattern's part in ``k``'s
        component is a pattern on its own, and no dearer): for the cells of small components,
        and for the cells the audit finds disclosed that no neighbourhood protects — a
        high-level cell whose pattern crosses to another commune, say. On a tenth of the
        national grid (822,000 cells, its largest component 173,000), the whole table's
        programme held the seventh round for more than 9 minutes without an end."""
        c = self.component[k]
        if c < 0:
            return None  # k itself cannot move
        if c not in self._components:
            self._components[c] = self._model(np.flatnonzero(self.component == c))
        return self._run(self._components[c], k, sense)

    def solve_relaxed(self, k: int, sense: float) -> tuple[np.ndarray, np.ndarray] | None:
        """A pattern on the published cells alone, ignoring the virtual pieces' constraints.

        For tables whose crossing areas (landlords, réservataires) link everything through
        virtual pieces, the exact programme spans the whole table. Without those constraints
        the pattern is a strong hint, not a proof: it is not recorded as certified, and the
        audit decides.
        """
        if self._relaxed is None:
            real = ~self.t.virtual
            rows = np.flatnonzero(np.asarray(abs(self.csr[:, self.t.virtual]).sum(axis=1)).ravel() == 0)
            cells = np.flatnonzero(real)
            self._relaxed = _Model(self.csr[rows][:, cells].astype(float), cells, self.up[cells], self.down[cells])
        return self._run(self._relaxed, k, sense)

    def _model(self, cells: np.ndarray) -> _Model:
        """The programme over ``cells`` (every constraint touching them, outside held still).

        Re-solved from its last basis target after target, it skips presolve (full occupation,
        first round's patterns: 16 s with it, 7 s without), unless virtual pieces are in it:
        free of cost and all but unbounded, presolve takes most of them out (full attributions
        2022: 14 s with it, 56 s without)."""
        rows = rows_of(self.csc, cells)
        sub = self.csr[rows][:, cells].astype(float)
        return _Model(sub, cells, self.up[cells], self.down[cells], presolve=bool(self.t.virtual[cells].any()))

    def cost_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What moving each cell up and down costs a pattern: nothing for a virtual piece, next
        to nothing for a cell already withheld, its withholding cost otherwise; a reward
        (negative) for moving a target of the round that is still short that way."""
        cost = np.where(self.w[cells], WITHHELD_COST, np.minimum(self.t.cost[cells].astype(float), 1e12))
        cost[self.t.virtual[cells]] = 0.0
        up, down = cost.copy(), cost
        up[self.wanted_up[cells]] = -TARGET_REWARD
        down[self.wanted_down[cells]] = -TARGET_REWARD
        return up, down

    def _run(self, model: _Model, k: int, sense: float) -> tuple[np.ndarray, np.ndarray] | None:
        cells = model.cells
        at = int(np.flatnonzero(cells == k)[0])
        cost_up, cost_down = self.cost_of(cells)
        amount = self.need_up[k] if sense > 0 else self.need_down[k]
        y = model.solve(cost_up, cost_down, at, sense * amount)
        self.solves += 1
        if y is None:
            return None
        moved = np.abs(y) > 1e-7
        return cells[moved], y[moved]

    def record(self, cells: np.ndarray, y: np.ndarray) -> None:
        """Credit every cell a pattern moves, both ways when the mirrored table is feasible."""
        self.got_up[cells] = np.maximum(self.got_up[cells], np.clip(y, 0, None))
        self.got_down[cells] = np.maximum(self.got_down[cells], np.clip(-y, 0, None))
        if np.all(np.where(y > 0, y <= self.down[cells] + 1e-9, -y <= self.up[cells] + 1e-9)):
            self.got_up[cells] = np.maximum(self.got_up[cells], np.clip(-y, 0, None))
            self.got_down[cells] = np.maximum(self.got_down[cells], np.clip(y, 0, None))
        up, down = self.short(cells)
        self.wanted_up[cells] &= up
        self.wanted_down[cells] &= down

    def protect_all(self, targets: np.ndarray, thorough: bool = False) -> tuple[list[int], list[int]]:
        """Patterns for ``targets``; returns (cells added, targets left unsolved).

        The cells a pattern adds are not targets in turn: the pattern moves them already, and
        the next audit tells whether they need more. ``thorough``: where no neighbourhood holds
        a pattern, try the whole table (for cells known to be disclosed: too costly for mere
        suspects)."""
        added: list[int] = []
        unsolved: list[int] = []
        targets = np.asarray(targets, dtype=np.int64)
        self.wanted_up[:], self.wanted_down[:] = False, False
        up, down = self.short(targets)
        self.wanted_up[targets], self.wanted_down[targets] = self.w[targets] & up, self.w[targets] & down
        self.choose_components(targets)
        for k, area in self._by_area(targets):
            if area is not None:
                inner = np.zeros(self.t.n, dtype=bool)
                inner[area[: len(area) // 2]] = True
                self._area = (self._model(area), inner)
            for sense in self.missing(k):
                if sense not in self.missing(k):
                    continue  # certified meanwhile by the other direction's pattern
                exact = self.whole_component(k)  # no pattern there: none anywhere
                if (k, sense) in self.failed:
                    found = self.solve_whole(k, sense) if thorough and not exact else None
                else:
                    found = self.solve(k, sense)
                    if found is None:
                        self.failed.add((k, sense))
                        if thorough and not exact:
                            found = self.solve_whole(k, sense)
                certified = found is not None
                if (found is None and not exact and not self.hinted[k]
                        and (~self.t.virtual).sum() <= RELAXED_MAX_CELLS):
                    found = self.solve_relaxed(k, sense)
                    self.hinted[k] = True
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
                if certified:
                    self.record(cells, y)
                    self.witnesses.append((cells, y))
                else:
                    break  # the audit decides for this cell
        self._area = None
        self.wanted_up[:], self.wanted_down[:] = False, False
        return added, unsolved

    def _by_area(self, targets: np.ndarray) -> list[tuple[int, np.ndarray | None]]:
        """Targets in the order they are solved, each with the area whose model to build first
        (None: keep the current one). Targets near each other share one larger programme,
        re-solved for each of them from its last basis: a few milliseconds instead of a new
        programme per target."""
        out: list[tuple[int, np.ndarray | None]] = []
        left = np.ones(len(targets), dtype=bool)
        position = {int(k): i for i, k in enumerate(targets)}
        for i, k in enumerate(targets):
            if not left[i]:
                continue
            if self.whole_component(int(k)):  # its component's programme serves it
                left[i] = False
                out.append((int(k), None))
                continue
            area = self.neighbourhood_of_size(int(k), AREA_CELLS)
            inner = [position[c] for c in area[: len(area) // 2]
                     if c in position and left[position[c]] and not self.whole_component(int(c))]
            if len(inner) < AREA_MIN_TARGETS:
                left[i] = False
                out.append((int(k), None))
                continue
            left[inner] = False
            out.append((int(targets[inner[0]]), area))
            out.extend((int(targets[j]), None) for j in inner[1:])
        return out


def _components(csc: sparse.csc_matrix, movable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the movable cells through the constraints they share (-1 for a
    cell that cannot move) and their sizes."""
    cols = np.flatnonzero(movable)
    sub = csc[:, cols].tocsr()
    sub = sub[np.diff(sub.indptr) > 0]
    b = (sub != 0).astype(np.int8)
    _, labels = connected_components(sparse.bmat([[None, b], [b.T, None]], format="csr"), directed=False)
    labels = labels[sub.shape[0]:]
    _, labels = np.unique(labels, return_inverse=True)  # renumbered over cells only
    component = np.full(csc.shape[1], -1)
    component[cols] = labels
    return component, np.bincount(labels, minlength=1)


class _Model:
    """A pattern programme ``A y = 0`` (y = y+ - y-) whose costs and target change between solves.

    Only what changed is passed to HiGHS, so a model kept for many targets is re-solved from
    its last basis (dual simplex after a bound change) instead of from scratch. Columns that
    cannot move (a zero cannot fall, a public count cannot move at all) are left out: HiGHS
    spends some 8 ms a run on a programme of the stock's size whatever the iterations, in
    proportion to its columns, and in the stock's a zero's y- is more than a quarter of them.
    """

    def __init__(
        self, sub: sparse.csr_matrix, cells: np.ndarray, up: np.ndarray, down: np.ndarray,
        presolve: bool = False,
    ) -> None:
        self.cells = cells
        self.n = n = len(cells)
        # Left out too: the cells the constraints pin (on a tenth of the national grid, most
        # 15,000-cell neighbourhoods whose target has no pattern pin the target itself: 400 ms
        # of dual simplex each to prove it, none now).
        pinned = solver.pinned(sub, (up > 0) | (down > 0))
        hi = np.concatenate([np.where(pinned, 0.0, up), np.where(pinned, 0.0, down)]).astype(float)
        self.keep = np.flatnonzero(hi > 0)  # the columns of y+ then y- that can move
        self.slot = np.full(2 * n, -1)
        self.slot[self.keep] = np.arange(len(self.keep))
        a = sub.tocsc()[:, self.keep % n]  # the columns of y+, then of y- (negated)
        a.data *= np.repeat(np.where(self.keep < n, 1.0, -1.0), np.diff(a.indptr))
        a = a.tocsr()
        self.h = solver.new()
        if not presolve:
            self.h.setOptionValue("presolve", "off")
        # With virtual pieces, a large programme's re-solves go faster by interior point than by
        # the simplex from the last basis (reduced demo, attributions 2024: 7,062 columns, 0.4 to
        # 1 s a pattern by the simplex, a quarter of a second by interior point).
        self.interior = presolve and len(self.keep) > INTERIOR_COLUMNS
        self.lo = np.zeros(len(self.keep))
        self.hi = hi[self.keep]
        self.h.addVars(len(self.keep), self.lo, self.hi)
        zeros = np.zeros(a.shape[0])
        self.h.addRows(
            a.shape[0], zeros, zeros, a.nnz,
            a.indptr[:-1].astype(np.int32), a.indices.astype(np.int32), a.data,
        )
        self.cost = np.zeros(len(self.keep))
        self.target: np.ndarray | None = None  # its columns (slots), held at the move

    def solve(self, cost_up: np.ndarray, cost_down: np.ndarray, at: int, move: float) -> np.ndarray | None:
        """Cheapest y with ``y[at] == move`` (costs of y+ and y-); None when there is none."""
        n = self.n
        ahead, back = (at, at + n) if move > 0 else (at + n, at)  # the column that moves, the other
        if self.slot[ahead] < 0:
            return None  # no room that way
        kept = np.concatenate([cost_up, cost_down])[self.keep]
        changed = np.flatnonzero(kept != self.cost).astype(np.int32)
        if len(changed):
            self.h.changeColsCost(len(changed), changed, kept[changed])
            self.cost = kept
        if self.target is not None:  # free the previous target again
            self.h.changeColsBounds(len(self.target), self.target, self.lo[self.target], self.hi[self.target])
        t = self.slot[[ahead, back]]
        t = t[t >= 0].astype(np.int32)
        bound = np.array([abs(move), 0.0])[: len(t)]
        self.h.changeColsBounds(len(t), t, bound, bound)
        self.target = t
        solver.run(self.h, self.interior)
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        y = np.zeros(2 * n)
        y[self.keep] = np.asarray(self.h.getSolution().col_value)
        return y[:n] - y[n:]
