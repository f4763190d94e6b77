"""Secondary suppression: withhold the fewest extra units so that the audit finds nothing.

Two passes. First a fast combinatorial pass over the constraints, one at a time: in a
constraint, a withheld part can rise only as far as the other withheld parts can fall (and
the withheld total rise), and conversely; where that room is below the protection, a partner
is withheld in it — the cheapest published cell that brings the missing room (small values
first, commune and EPCI totals last), each charged besides what the constraints it would open
will ask (the cheapest partner there): a partner whose other constraints already hold a
withheld cell closes a cycle for free, one that opens a row whose own partner is small is
cheap too. A constraint with a single withheld cell is the extreme case (no room at all). A
population constraint whose withheld parts add up to fewer than the threshold gets one more
partner. At the end, the partners every constraint of which now does without are published
again, largest first.

Then the attacker's audit runs (it certifies whole blocks with a few programmes), and every
cell it does not prove safe gets a protection pattern (patterns.py): the cheapest cells whose
withholding moves it by its requirement; a disclosed cell with no pattern, or a sum under the
threshold, gets a partner in its tightest constraint; the patterns go to the next audit as
witnesses, which it verifies before crediting. Solving patterns only for what the audit
leaves keeps them few: on the peer tables the audit passes at once (or after a few patterns); at
the full demo's size, a few thousand cells of the stock and about a thousand of the occupation
need one in the first round, a few dozen in the later ones.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.secrecy.audit import GROUP, AuditReport, Proofs, audit
from workbench.secrecy.patterns import PatternSolver
from workbench.secrecy.table import CellTable, index_ranges

log = logging.getLogger(__name__)
ESCALATE_AFTER = 8  # repair rounds before whole constraints are withheld at once
# Rows up to this many cells are judged cell by cell on Python floats (numpy's per-call
# overhead was most of their cost); longer ones keep their verdict's ingredients up to date as
# cells are withheld and are judged without reading their cells (the national grid's commune
# rows, 19,605 cells, were read again after each partner they got).
LONG_ROW = 16
# What opening a constraint costs a candidate partner: the cheapest other cell there, its cost
# capped (commune and EPCI totals are priced out of reach), a cell too small to bring the
# protection only if the row has no other, NO_PARTNER if it has none at all.
PRICE_CAP = 1e4
SMALL_PARTNER = 1e5
NO_PARTNER = 1e6


class SecrecyError(RuntimeError):
    """Publishing refused: the protection could not be completed (French message)."""


@dataclass
class Protection:
    withheld: np.ndarray  # final withheld mask (virtual cells included)
    status: np.ndarray  # per cell: primary reason, "secondary" or "published" ("" for virtual)
    audit: AuditReport
    primary_cells: int
    secondary_cells: int
    secondary_units: int
    seconds: float
    rounds: int


class _State:
    def __init__(self, table: CellTable, withheld: np.ndarray, protection: int) -> None:
        self.t = table
        self.w = withheld.copy()
        self.csr = table.constraints.tocsr()
        self.csc = table.constraints.tocsc()
        # Withheld cells per row; it only grows, so it also tells whether a row changed.
        self.count = np.asarray((self.csr != 0) @ self.w.astype(np.int64)).ravel()
        self.p = protection
        self._open_costs(table)
        # Per cell, side by side so that ``deficit`` reads a row's cells in one gather: how far
        # it can fall (to 0) and rise, its requirement up and down, and whether it is virtual.
        self.figures = np.empty((table.n, 5))
        self.down, self.up, self.need_up, self.need_down = (self.figures[:, i] for i in range(4))
        self.down[:] = table.values
        self.up[:] = table.room_up()
        self.need_up[:], self.need_down[:] = table.requirement(protection)
        self.figures[:, 4] = table.virtual
        self._track_long_rows()

    def _open_costs(self, table: CellTable) -> None:
        """Per cell, what withholding it costs beyond itself: each constraint it opens (one
        without a withheld cell yet) will want a partner, at least the cheapest other cell
        there — one big enough to bring the protection if the row has any. Charging that
        instead of a flat price per opened constraint lets a cheap partner open a row whose own
        partner is cheap too rather than close a cycle through a large cell (full demo 2024:
        stock 1,394,108 -> 1,357,776 units withheld, occupation 786,219 -> 771,368)."""
        k = self.csr.indices
        row = np.repeat(np.arange(self.csr.shape[0]), np.diff(self.csr.indptr))
        can = ~table.known[k] & ~table.virtual[k] & np.isfinite(table.cost[k])
        price = np.minimum(table.cost[k].astype(float), PRICE_CAP) + SMALL_PARTNER * (table.values[k] < self.p)
        price[~can] = np.inf
        first, second, at = _two_cheapest(price, row, self.csr.shape[0])
        price = np.where(np.arange(len(k)) == at[row], second[row], first[row])  # not itself
        found = np.isfinite(price)
        self.entry_open = np.full(len(k), NO_PARTNER)
        self.entry_open[found] = price[found] % SMALL_PARTNER  # the tier only ranked it: charge its cost
        fresh = (self.count == 0)[row]
        self.open_cost = np.bincount(k[fresh], weights=self.entry_open[fresh], minlength=table.n)

    def _track_long_rows(self) -> None:
        """For each long row, what ``deficit`` needs from its withheld cells: how far its parts
        and its totals can fall and rise together, and the cell of each kind (part or total,
        up or down) whose own share of the missing room is largest, first in the row on ties."""
        m = self.csr.shape[0]
        self.long = np.diff(self.csr.indptr) > LONG_ROW
        row = np.repeat(np.arange(m), np.diff(self.csr.indptr))
        position = np.arange(self.csr.nnz) - self.csr.indptr[row]
        # Each entry of a cell's column (csc order) with its position in its row.
        self.position = position[np.lexsort((row, self.csr.indices))]
        self.sums = np.zeros((m, 4))  # parts' fall, parts' rise, totals' fall, totals' rise
        self.best = np.full((m, 4), -np.inf)  # part up, part down, total up, total down
        self.best_at = np.zeros((m, 4), dtype=np.int64)  # their position in the row
        k = self.csr.indices
        on = self.long[row] & self.w[k]
        part = self.csr.data > 0
        for i, (mask, x) in enumerate([(part, self.down), (part, self.up), (~part, self.down), (~part, self.up)]):
            self.sums[:, i] = np.bincount(row[on & mask], weights=x[k[on & mask]], minlength=m)
        real = on & ~self.t.virtual[k]
        for i in range(4):
            e = np.flatnonzero(real & (part if i < 2 else ~part))
            if not len(e):
                continue
            key = self._key(k[e], i)
            order = np.lexsort((position[e], -key, row[e]))  # per row: largest, then first
            e, key = e[order], key[order]
            first = np.r_[True, row[e][1:] != row[e][:-1]]
            self.best[row[e[first]], i] = key[first]
            self.best_at[row[e[first]], i] = position[e[first]]

    def _key(self, k: np.ndarray | int, kind: int) -> np.ndarray | float:
        """A withheld cell's own share of its row's missing room, per kind (part up, part down,
        total up, total down): a part misses ``need_up + down - (parts' fall + totals' rise)``
        upwards (the others absorb its rise), a total ``need_up - parts' rise``; and conversely."""
        if kind == 0:
            return self.need_up[k] + self.down[k]
        if kind == 1:
            return self.need_down[k] + self.up[k]
        return (self.need_up if kind == 2 else self.need_down)[k]

    def _deficit_of_long_row(self, row: int) -> tuple[int, float, bool] | None:
        """``deficit`` of a long row from its tracked ingredients: the same verdict."""
        if not self.count[row]:
            return None
        p_down, p_up, t_down, t_up = self.sums[row].tolist()
        best, at = self.best[row].tolist(), self.best_at[row].tolist()
        missing = [best[0] - p_down - t_up, best[1] - p_up - t_down, best[2] - p_up, best[3] - p_down]
        # The largest; on ties the first in the row, upwards first (as the loop would).
        i = min(range(4), key=lambda i: (-missing[i], at[i], i % 2))
        if not missing[i] > 1e-9:
            return None
        return int(self.csr.indices[self.csr.indptr[row] + at[i]]), missing[i], i % 2 == 0

    def row(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.csr.indptr[row], self.csr.indptr[row + 1]
        return self.csr.indices[start:end], self.csr.data[start:end]

    def deficit(self, row: int, by_cells: bool = False) -> tuple[int, float, bool] | None:
        """The worst-protected withheld cell of a row, judged on this row alone.

        A withheld part can rise only as far as the other withheld parts can fall and the
        withheld total can rise (and conversely); a withheld total moves as far as its withheld
        parts do. Returns (cell, missing room, True if the room is missing upwards) or None.
        ``by_cells``: read a long row's cells instead of its tracked ingredients.
        """
        if self.long[row] and not by_cells:
            return self._deficit_of_long_row(row)
        cells, coef = self.row(row)
        hidden = self.w[cells]
        if not hidden.any():
            return None
        k = cells[hidden]
        figures, is_part = self.figures[k].tolist(), (coef[hidden] > 0).tolist()
        p_down = p_up = t_down = t_up = 0.0
        for (down, up, *_), part in zip(figures, is_part, strict=True):
            if part:
                p_down += down
                p_up += up
            else:
                t_down += down
                t_up += up
        worst: tuple[int, float, bool] | None = None
        for cell, (down, up, need_up, need_down, virtual), part in zip(k.tolist(), figures, is_part, strict=True):
            if virtual:
                continue
            if part:
                room_up = p_down - down + t_up
                room_down = p_up - up + t_down
            else:
                room_up, room_down = p_up, p_down
            for missing, upward in ((need_up - room_up, True), (need_down - room_down, False)):
                if missing > 1e-9 and (worst is None or missing > worst[1]):
                    worst = (cell, missing, upward)
        return worst

    def short_rows(self, threshold: int) -> np.ndarray:
        """Rows that ``deficit`` (or the population rule) would act on now, all at once.

        A row's deficit depends only on its own withheld cells, so a row left out here cannot
        need anything until a cell of it is withheld (and ``add`` queues it then).
        """
        hidden = self.w[self.csr.indices]
        coef = self.csr.data.astype(float)
        row = np.repeat(np.arange(self.csr.shape[0]), np.diff(self.csr.indptr))
        k = self.csr.indices
        part, total = hidden & (coef > 0), hidden & (coef < 0)
        m = self.csr.shape[0]

        def per_row(mask: np.ndarray, x: np.ndarray) -> np.ndarray:
            return np.bincount(row, weights=np.where(mask, x[k], 0.0), minlength=m)

        p_down, p_up = per_row(part, self.down), per_row(part, self.up)
        t_down, t_up = per_row(total, self.down), per_row(total, self.up)
        room_up, room_down = _rooms(part, self.down[k], self.up[k], p_down[row], p_up[row], t_down[row], t_up[row])
        short = hidden & ~self.t.virtual[k] & (
            (self.need_up[k] - room_up > 1e-9) | (self.need_down[k] - room_down > 1e-9)
        )
        rows = np.zeros(m, dtype=bool)
        rows[row[short]] = True
        sums = per_row(part, self.t.values.astype(float))
        no_total = np.bincount(row, weights=total, minlength=m) == 0
        rows |= self.t.population & no_total & (sums >= 1) & (sums < threshold)
        return rows & (self.count >= 1)

    def partner(self, row: int, exclude: int | None = None, missing: tuple[int, float, bool] | None = None) -> int | None:
        """The cheapest published cell of a constraint to withhold with the others.

        With ``missing`` (cell, room, upwards), prefer cells that bring that room on their own:
        a part that can fall (or rise) far enough, or the total that can rise (or fall).
        """
        cells, coef = self.row(row)
        ok = ~self.w[cells] & ~self.t.virtual[cells] & ~self.t.known[cells] & np.isfinite(self.t.cost[cells])
        if exclude is not None:
            ok &= cells != exclude
        cand, sign = cells[ok], coef[ok]
        if len(cand) == 0:
            return None
        if not self.long[row]:
            return self._partner_in_python(cells, coef, cand, sign, missing)
        cost = self.t.cost[cand].astype(float)
        score = cost + 1e6 * (self.t.values[cand] < self.p)
        if missing is not None:
            k, room, upward = missing
            k_is_part = coef[cells == k][0] > 0 if (cells == k).any() else True
            same_side = (sign > 0) == k_is_part
            # A part rising is absorbed by another part falling or by the total rising.
            brings = np.where(same_side, self.down[cand], self.up[cand]) if upward else np.where(
                same_side, self.up[cand], self.down[cand]
            )
            score = cost + 1e6 * (brings < room)
        score = score + self.open_cost[cand]
        return int(cand[np.lexsort((cand, score))[0]])

    def _partner_in_python(
        self, cells: np.ndarray, coef: np.ndarray, cand: np.ndarray, sign: np.ndarray,
        missing: tuple[int, float, bool] | None,
    ) -> int:
        """``partner``'s choice for a short row on Python floats: the same scores, in the same
        order of operations, so the same cell (numpy's per-call overhead was most of the cost)."""
        ids = cand.tolist()
        cost = self.t.cost[cand].astype(float).tolist()
        if missing is None:
            flag = (self.t.values[cand] < self.p).tolist()
        else:
            k, room, upward = missing
            where = cells.tolist()
            k_is_part = coef[where.index(k)] > 0 if k in where else True
            down, up = self.down[cand].tolist(), self.up[cand].tolist()
            flag = []
            for i, s in enumerate(sign.tolist()):
                same_side = (s > 0) == k_is_part
                flag.append((down[i] if same_side == upward else up[i]) < room)
        opens = self.open_cost[cand].tolist()
        score = [cost[i] + 1e6 * flag[i] + opens[i] for i in range(len(ids))]
        return min(zip(score, ids, strict=True))[1]

    def add(self, j: int) -> list[int]:
        self.w[j] = True
        start, end = self.csc.indptr[j], self.csc.indptr[j + 1]
        rows = self.csc.indices[start:end]
        for r, c, at in zip(rows[self.long[rows]].tolist(), self.csc.data[start:end][self.long[rows]].tolist(),
                            self.position[start:end][self.long[rows]].tolist(), strict=True):
            self._track(r, j, c > 0, at)
        opened = rows[self.count[rows] == 0]
        if len(opened):
            entries = index_ranges(self.csr.indptr, opened)
            np.subtract.at(self.open_cost, self.csr.indices[entries], self.entry_open[entries])
        self.count[rows] += 1
        return list(rows)

    def _track(self, row: int, j: int, part: bool, at: int) -> None:
        """Cell ``j`` (at position ``at`` of long row ``row``) is now withheld."""
        sums = self.sums[row]
        if part:
            sums[0] += self.down[j]
            sums[1] += self.up[j]
        else:
            sums[2] += self.down[j]
            sums[3] += self.up[j]
        if self.t.virtual[j]:
            return
        for i in (0, 1) if part else (2, 3):
            key = self._key(j, i)
            best = self.best[row, i]
            if key > best or (key == best and at < self.best_at[row, i]):
                self.best[row, i] = key
                self.best_at[row, i] = at

    def missing(self, row: int, threshold: int, by_cells: bool = False) -> tuple[int, float, bool] | None:
        """What a row asks of the greedy pass: its ``deficit``, or else, for a population row
        whose withheld parts add up to fewer than the threshold, the units missing (cell -1)."""
        missing = self.deficit(row, by_cells)
        if missing is None and self.t.population[row]:
            s = self.parts_sum(row)
            if s is not None and 1 <= s < threshold:
                missing = (-1, threshold - s, False)
        return missing

    def parts_sum(self, row: int) -> float | None:
        """Known sum of the withheld parts of a row, when no withheld total sits in it."""
        cells, coef = self.row(row)
        hidden = self.w[cells]
        if (coef[hidden] < 0).any():
            return None
        return float(self.t.values[cells[hidden]].sum())


def _rooms(
    part: np.ndarray, down: np.ndarray, up: np.ndarray,
    p_down: np.ndarray | float, p_up: np.ndarray | float, t_down: np.ndarray | float, t_up: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """How far withheld cells can rise and fall within one row (``deficit``'s rule, in arrays):
    a part by the others' fall (rise) plus the total's rise (fall), a total by its parts'."""
    return (np.where(part, p_down - down + t_up, p_up), np.where(part, p_up - up + t_down, p_down))


def _two_cheapest(price: np.ndarray, row: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row (entries in row order): the cheapest price, the next one, and the entry holding
    the cheapest (the first on ties; -1 for an empty row)."""
    first = np.full(m, np.inf)
    np.minimum.at(first, row, price)
    at = np.full(m, -1)
    cheapest = np.flatnonzero(price == first[row])[::-1]
    at[row[cheapest]] = cheapest  # the last write per row is its first entry
    rest = price.copy()
    rest[at[at >= 0]] = np.inf
    second = np.full(m, np.inf)
    np.minimum.at(second, row, rest)
    return first, second, at


def _partner_through_virtual(table: CellTable, st: _State, cell: int) -> int | None:
    """A partner for a disclosed cell whose own constraints hold no candidate.

    Such a cell is derived through other withheld cells, often virtual pieces (a QPV from the
    commune minus the commune hors QPV, over the IRIS ∩ QPV pieces): candidates are the
    published cells of the constraints reached through withheld cells; the cheapest wins (the
    audit of the next round judges it).
    """
    seen_rows: set[int] = set()
    seen_cells = {cell}
    frontier, candidates = [cell], []
    while frontier:
        reached = []
        for c in frontier:
            for r in st.csc.indices[st.csc.indptr[c] : st.csc.indptr[c + 1]]:
                if r in seen_rows:
                    continue
                seen_rows.add(r)
                for k in st.csr.indices[st.csr.indptr[r] : st.csr.indptr[r + 1]]:
                    if k in seen_cells:
                        continue
                    seen_cells.add(k)
                    if st.w[k]:
                        reached.append(k)
                    elif not st.w[k] and not table.known[k] and not table.virtual[k] and np.isfinite(table.cost[k]):
                        candidates.append(int(k))
        frontier = reached
    candidates.sort(key=lambda k: (table.cost[k], k))
    return candidates[0] if candidates else None


def greedy(table: CellTable, protection: int, threshold: int) -> _State:
    """The combinatorial pass: primary cells and the partners each constraint asks for."""
    st = _State(table, table.initial_withheld(), protection)
    queue = list(np.flatnonzero(st.short_rows(threshold)))
    checked = np.full(len(st.count), -1)  # each row's withheld count when last judged
    while queue:
        row = queue.pop()
        if checked[row] == st.count[row]:
            continue  # queued twice, unchanged since: same verdict (it depends on its cells alone)
        checked[row] = st.count[row]
        missing = st.missing(row, threshold)
        if missing is None:
            continue
        j = st.partner(row, missing=missing if missing[0] >= 0 else None)
        if j is None:
            continue
        touched = st.add(j)
        queue.extend(touched)
        queue.append(row)
    for j in np.flatnonzero(table.close(st.w) & ~st.w):
        st.add(int(j))
    _prune(table, st, threshold)
    return st


def _prune(table: CellTable, st: _State, threshold: int) -> None:
    """Publish again, largest first, the partners that every one of their constraints now
    does without: a partner chosen early for a row may have been made useless by those its
    neighbours got later. Rows are read cell by cell (a long row's tracked ingredients are
    rebuilt once at the end, if it lost a cell)."""
    forced = np.zeros(table.n, dtype=bool)
    if table.dependents is not None:
        forced = np.asarray(abs(table.dependents).sum(axis=0)).ravel() > 0
    chosen = np.flatnonzero(st.w & ~table.initial_withheld() & ~forced)
    long_changed = False
    for j in chosen[np.argsort(-table.values[chosen], kind="stable")].tolist():
        rows = st.csc.indices[st.csc.indptr[j] : st.csc.indptr[j + 1]]
        if (st.count[rows] <= 2).any():
            continue  # without it, some row would keep a single withheld cell
        st.w[j] = False
        if any(st.missing(r, threshold, by_cells=True) is not None for r in rows.tolist()):
            st.w[j] = True
        else:
            st.count[rows] -= 1
            long_changed |= bool(st.long[rows].any())
    if long_changed:
        st._track_long_rows()


def protect(table: CellTable, protection: int = 3, threshold: int = 11, max_rounds: int = 200) -> Protection:
    """Primary cells plus the secondary cells that make the table safe, audited."""
    t0 = time.perf_counter()
    primary = (table.primary != "") & ~table.virtual
    st = greedy(table, protection, threshold)
    log.debug("passe gloutonne : %.1f s, %d cellules masquées", time.perf_counter() - t0, st.w.sum())
    # The audit decides; every cell it still recovers gets a protection pattern (patterns.py):
    # the cheapest set of cells whose withholding moves it by its requirement. Solving only
    # for disclosed cells keeps the programmes few (the audit certifies whole blocks at once).
    # Rounds run on the quick audit (cells it cannot prove are treated as disclosed: a pattern
    # made of withheld cells alone adds nothing); the exact audit is asked only when a quick
    # round adds nothing. Either way the last word is a report with nothing in it.
    solver: PatternSolver | None = None  # built on the first round (most small tables need none)
    rounds = 0
    caches: dict[bool, dict[bytes, list]] = {True: {}, False: {}}
    # Cells only ever get withheld here, so what one audit proves safe stays proven (Proofs):
    # each round bounds the new and the unproven cells only.
    proofs = Proofs.none(table.n)

    def check(exact: bool) -> AuditReport:
        # The round's patterns go to the audit as witnesses: it verifies each one itself.
        witnesses = solver.witnesses if solver is not None else []
        report = audit(table, st.w, protection, threshold, cache=caches[exact], exact=exact, proofs=proofs,
                       witnesses=witnesses)
        witnesses.clear()  # credited to ``proofs`` (or refused for good: the table does not change)
        return report

    exact = False
    exact_rounds = 0  # repairs escalate on these only (quick rounds repair sums alone)
    report = check(exact)
    log.debug("passe gloutonne et audit : %.1f s, %d cellules masquées, %d non prouvées",
              time.perf_counter() - t0, st.w.sum(), len(report.disclosures))
    while not report.ok:
        rounds += 1
        if rounds > max_rounds:
            raise SecrecyError(
                f"le secret secondaire n'a pas abouti après {max_rounds} tours : "
                f"{len(report.disclosures)} donnée(s) encore recalculable(s)"
            )
        disclosed = report.disclosures
        by_pattern = disclosed["kind"] != GROUP
        if solver is None:
            solver = PatternSolver(table, st.w, protection)
        solver.w |= st.w
        targets = disclosed.loc[by_pattern, "cell"].to_numpy(dtype=np.int64)
        order = np.argsort(table.values[targets], kind="stable")  # small cells first
        added, unsolved = solver.protect_all(targets[order], thorough=exact)
        for j in added:
            if not st.w[j]:
                st.add(j)
        # An unproven cell without a pattern may be safe all the same: the exact audit says.
        left = disclosed[~by_pattern | (exact & disclosed["cell"].isin(unsolved))]
        exact_rounds += exact
        progressed = bool(added)
        if len(left):
            progressed = _repair(table, st, left, exact_rounds) or progressed
        for j in np.flatnonzero(table.close(st.w) & ~st.w):
            st.add(int(j))
        if not progressed and exact:
            raise SecrecyError(
                "le secret secondaire ne trouve plus de donnée à masquer pour protéger "
                f"{len(report.disclosures)} donnée(s) : la table ne peut pas être publiée"
            )
        exact = not progressed
        report = check(exact)
        log.debug("tour %d : %.1f s, %d motifs résolus (%d dans leur région), %d cellules ajoutées, %d %s",
                  rounds, time.perf_counter() - t0, solver.solves, solver.in_region, len(added), len(report.disclosures),
                  "recalculables" if exact else "non prouvées")
    secondary = st.w & ~primary & ~table.virtual & ~table.known
    status = np.where(primary, table.primary, np.where(secondary, "secondary", "published")).astype(object)
    status[table.virtual] = ""
    return Protection(
        withheld=st.w,
        status=status,
        audit=report,
        primary_cells=int(primary.sum()),
        secondary_cells=int(secondary.sum()),
        secondary_units=int(table.values[secondary].sum()),
        seconds=time.perf_counter() - t0,
        rounds=rounds,
    )


def _repair(table: CellTable, st: _State, disclosures: pd.DataFrame, rounds: int) -> bool:
    """One partner per disclosed cell (whole constraints once convergence is slow)."""
    progressed = False
    for cell, kind in zip(disclosures["cell"], disclosures["kind"], strict=True):
        rows = st.csc.indices[st.csc.indptr[cell] : st.csc.indptr[cell + 1]]
        if kind == GROUP:
            rows = [r for r in rows if table.population[r]]
        if rounds > ESCALATE_AFTER:
            # Slow convergence (one partner revealing the next): withhold every published
            # cell of the disclosed cell's constraints at once. Costlier, but each round
            # then closes whole constraints and the audit still has the last word.
            added = False
            for r in rows:
                cells = st.row(r)[0]
                keep = ~np.isfinite(table.cost[cells])  # never withheld (the EPCI's figures)
                for j in cells[~st.w[cells] & ~table.virtual[cells] & ~table.known[cells] & ~keep]:
                    st.add(int(j))
                    added = True
            if not added:
                j = _partner_through_virtual(table, st, int(cell))
                if j is not None:
                    st.add(j)
                    added = True
            progressed = progressed or added
            continue
        # Tightest constraints first: the fewest withheld cells, then the smallest.
        for r in sorted(rows, key=lambda r: (st.count[r], st.csr.indptr[r + 1] - st.csr.indptr[r])):
            j = st.partner(r, exclude=cell)
            if j is not None:
                st.add(j)
                progressed = True
                break
        else:
            j = _partner_through_virtual(table, st, int(cell))
            if j is not None:
                st.add(j)
                progressed = True
    return progressed
