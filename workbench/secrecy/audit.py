"""The attacker's audit: written apart from the suppression code, it must find nothing.

For a proposed set of withheld cells, the attacker knows every published cell, every
additivity constraint, non-negativity and the public upper bounds (RPLS dwelling counts). For
each withheld cell the audit establishes whether its feasible interval is wide enough:
``lower <= max(0, v - p)`` and ``upper >= min(v + p, known upper bound, ceiling)`` (the
ceiling of a share's category is its base). It also reports a
population constraint whose withheld parts have a derivable sum between 1 and threshold - 1
(two withheld résidences holding 7 households between them, say).

First, cells whose requirement a rectangle of withheld cells already proves (two pairs of
cells that differ the same way across the constraints, moved against each other; or one pair
against several such pairs together) are set aside without any programme. The rest is split
into blocks: connected components of withheld cells linked by constraints that contain them.
Within a block, one linear programme (HiGHS) is solved repeatedly with a changing objective:
an optimum of "push all pending cells up" certifies every cell it lifts past its requirement
at once (and every cell it lowers past the other one: any optimum is a table the attacker
cannot rule out); the few cells left get their own exact bound, which is where a disclosure is
found.
Small blocks share one programme (they share no constraint); a large block is first certified
piece by piece, by programmes over the cells near a few seeds with everything else held at its
true value (a point feasible there is feasible for the block), and a cell is bounded on its
neighbourhood before the whole block. In the whole block's programme, résidences withheld
whole, already proven and interchangeable count as one (``_pooled``: exact for every other
cell). The verdict is complete: every withheld cell is bounded, none sampled. When a
suppression only ever adds withheld cells, what one audit proves stays proven (``Proofs``), so
its later audits bound only the new and the still unproven cells; and the moves its patterns
found may be offered as witnesses, which the audit checks itself (withheld cells only, every
constraint kept, every bound) before counting the cells they move as proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from workbench.secrecy import solver
from workbench.secrecy.table import CellTable, index_ranges, near, rows_of

EXACT, INTERVAL, GROUP = "exacte", "intervalle", "somme sous le seuil"
UNPROVEN = "non prouvée"  # a quick audit (exact=False) could not prove it safe: maybe disclosed


@dataclass
class AuditReport:
    """What the attacker recovered: empty ``disclosures`` means the table may be published."""

    ok: bool
    disclosures: pd.DataFrame  # cell, value, lower, upper, kind
    checked: int
    blocks: int
    largest_block: int
    seconds: float
    lp_solves: int = 0
    carried: int = 0  # withheld cells already proven safe both ways by earlier audits (Proofs)

    def summary(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "disclosures": int(len(self.disclosures)),
            "blocks": self.blocks,
            "largest_block": self.largest_block,
            "lp_solves": self.lp_solves,
            "carried": self.carried,
            "seconds": round(self.seconds, 2),
        }


def _blocks(aw: sparse.csr_matrix) -> tuple[int, np.ndarray]:
    """Connected components of withheld cells through the constraints they share."""
    r, k = aw.shape
    b = (aw != 0).astype(np.int8)
    graph = sparse.bmat([[None, b], [b.T, None]], format="csr")
    n, labels = connected_components(graph, directed=False)
    return n, labels[r:]


class _Block:
    """One block's linear programme, re-solved with changing objectives."""

    def __init__(self, a: sparse.csr_matrix, b: np.ndarray, upper: np.ndarray, interior: bool = False) -> None:
        self.h = solver.new()
        self.interior = interior  # each push's first solve by interior point (then crossover)
        self.n = a.shape[1]
        if self.n < PRESOLVE_FROM:
            self.h.setOptionValue("presolve", "off")
        self.lo, self.hi = np.zeros(self.n), upper.astype(float)
        self.lo_now, self.hi_now = self.lo, self.hi  # the bounds in force (a push's holds)
        self.h.addVars(self.n, self.lo, self.hi)
        csr = a.tocsr()
        self.h.addRows(
            a.shape[0], b.astype(float), b.astype(float), csr.nnz,
            csr.indptr[:-1].astype(np.int32), csr.indices.astype(np.int32), csr.data.astype(float),
        )
        self.idx = np.arange(self.n, dtype=np.int32)
        self.solves = 0
        self.warm = False  # re-solves start from the last basis (primal simplex)

    def optimum(self, weights: np.ndarray, fresh: bool = False) -> np.ndarray:
        """Minimise ``weights @ x``; return x. ``fresh``: a new push, or new bounds."""
        self.h.changeColsCost(self.n, self.idx, weights.astype(float))
        solver.run(self.h, interior=fresh and self.interior)
        if not self.warm and self.n > PRIMAL_FROM:
            # Dual simplex re-solves a large block from scratch after each new objective (some
            # thousand iterations); primal starts from this basis, still feasible (a hundred).
            self._go_primal()
        self.solves += 1
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"programme linéaire de l'audit non résolu : {status}")
        return np.asarray(self.h.getSolution().col_value)

    def _go_primal(self) -> None:
        """Re-solve from the current basis with the primal simplex from now on."""
        self.h.setOptionValue("simplex_strategy", 4)
        self.warm = True

    def bound(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Replace every column's bounds (``lo``/``hi`` over all columns)."""
        self.lo_now, self.hi_now = lo, hi
        self.h.changeColsBounds(self.n, self.idx, lo.astype(float), hi.astype(float))

    def restore(self) -> None:
        """Back to the block's own bounds (the attacker's), after the pushes' holds."""
        if self.lo_now is not self.lo or self.hi_now is not self.hi:
            self.bound(self.lo, self.hi)

    def basis(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The last basis (column and row statuses as HiGHS codes), if there is one."""
        b = self.h.getBasis()
        if not b.valid:
            return None
        return np.array([int(x) for x in b.col_status]), np.array([int(x) for x in b.row_status])

    def start_from(self, cols: np.ndarray, rows: np.ndarray) -> None:
        """Start from an earlier basis of this block, grown since: a column or row without a
        status (-1: new) enters at its lower bound (column) or basic (row's slack), which keeps
        the basis square and regular. A warm start only: the optimum is the same."""
        if not (cols >= 0).any():
            return
        basis = highspy.HighsBasis()
        basis.col_status = [_STATUS[c] for c in np.where(cols >= 0, cols, LOWER)]
        basis.row_status = [_STATUS[r] for r in np.where(rows >= 0, rows, BASIC)]
        grown = (cols < 0).mean() > REGROWN
        if self.h.setBasis(basis) == highspy.HighsStatus.kOk and not grown:
            # Primal from a basis a few columns away; after a larger growth (the first round's
            # patterns: 1 % of the occupation block) the dual simplex gets there faster.
            self._go_primal()


@dataclass
class Proofs:
    """Withheld cells the audit has proven safe, per direction, and under which withheld set.

    Withholding more cells only widens the attacker's feasible set (a point feasible before
    stays feasible with each newly withheld cell at its true value), so a cell once proven
    stays proven for every superset: repeated audits of a growing suppression skip it. Given
    a withheld set that is not a superset, the audit starts again from nothing.
    """

    withheld: np.ndarray  # the (effective) withheld mask the proofs hold for
    up: np.ndarray  # proven able to rise to its requirement
    down: np.ndarray  # proven able to fall to its requirement
    # The last basis of each large block's programme (HiGHS status per cell and per constraint
    # row, -1: none): the next audit's programme of the grown block starts from it instead of
    # from scratch (some 13 s on the 98,000-cell block of the full occupation table).
    col_status: np.ndarray | None = None
    row_status: np.ndarray | None = None

    @classmethod
    def none(cls, n: int) -> Proofs:
        return cls(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))


# HiGHS's presolve costs a small programme more than it saves (occupation 2024, first audit:
# the local chunks' first solves 4.4 -> 2.4 s without it, their re-solves 5.3 -> 6.5 s; the
# whole audit 26.2 / 26.9 -> 23.7 / 25.5 s). The whole 80,000-column block's first solve takes
# 1.5 s without it instead of 4.1, but the vertex presolve leads to makes its 86 re-solves
# faster (9.6 s, against 13.7 s for 96 without).
PRESOLVE_FROM = 6000
PRIMAL_FROM = 2000  # columns from which the re-solves of a programme use the primal simplex
_STATUS = {int(s): s for s in highspy.HighsBasisStatus.__members__.values()}  # code -> status
LOWER, BASIC = int(highspy.HighsBasisStatus.kLower), int(highspy.HighsBasisStatus.kBasic)
REGROWN = 0.005  # share of new columns from which a grown block's first solve is dual
RELEASE_UP_TO = 50_000  # columns of a block up to which a stalled push releases its cells
RELEASES = 1  # times a stalled push of a block (or batch of small ones) releases its certified cells
REWEIGHTS = 6  # uneven objectives tried when a push stalls, per push
# No retry in a large block's local programmes: what a chunk's push leaves goes on to the whole
# block's, which certifies hundreds of cells a solve (occupation 2024, first audit: 37 / 35 s
# instead of 41 / 39 s, 648 cells unproven instead of 651; half the solves were the retries).
LOCAL_REWEIGHTS = 0
# A tiling holds at most TILING_OVERLAP times as many chunks as side by side would take. Where
# rows are long (the national grid's communes, a thousand résidences each), every breadth-first
# chunk overflows at its first layers and holds the same cells again: a 21,854-cell block at a
# tenth of the national grid took 1,069 chunks a tiling certifying a dozen cells each (45 s,
# where its whole push does the rest in 10 s). The occupation's 107,760-cell block takes 87, the
# stock's blocks up to 2.5 times side by side.
TILING_OVERLAP = 6
# A large block whose columns are mostly virtual pieces (unknowns never published nor protected,
# all but unbounded: the attributions' landlord × réservataire × commune pieces) starts each
# push, and each release, by interior point: the simplex took 7 s (19,482 iterations) where it
# takes 1 (2024, 20,047 columns, 98 % virtual: audit 13.1 -> 5.4 s; 2023, 10.6 -> 6.8 s). On the
# occupation's block (no virtual piece) interior point is slower (first solves 8 -> 21 s), as
# on the stock's.
INTERIOR_SHARE = 0.5
RECTANGLES_UNTIL = 0.95  # share of withheld cells carried proven from which rectangles are skipped
RECTANGLE_ROW_MAX = 40  # rows with more withheld cells give no pairs (quadratic, rarely needed)
NESTED_ROW_MAX = 8  # rows with more withheld cells give no nested pairs


def _rectangles(
    aw: sparse.csr_matrix, v: np.ndarray, room: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """How far each withheld cell can provably move up and down by a rectangle of withheld cells.

    A rectangle is four withheld cells k, a, b, d with ``col(k) - col(a) - col(b) + col(d) = 0``
    (k and a share a constraint, as do b and d, and the two pairs differ the same way — two
    résidences of one IRIS piece × two categories, say). Moving k and d by +t and a and b by -t
    keeps every constraint, so the attacker cannot tell the true table from the moved one: a
    proof, found without any programme. A pair may also bring one of its nested pairs along: two
    categories of a commune with the same two categories of one of its IRIS (each cell of the
    commune the total of a constraint the IRIS's cell is part of) differ from each other only
    in the rows above the commune, so a commune's cells pair with another commune's, or with
    an IRIS of another commune's, which a plain rectangle never proves (the commune's cells sit
    in the sums of its IRIS). Pairs are matched through a linear hash of their columns (random
    64-bit weights per row, so equal hashes mean equal columns but for a negligible chance) and
    every rectangle used is then checked exactly. All the pairs that differ the same way (two
    résidences of an IRIS over every category where both are withheld) form a group: when none
    shares a cell, one pair can move against all the others at once, as far as they can
    together. Cells it cannot prove go to the programmes.
    """
    n = aw.shape[1]
    up = np.zeros(n)
    down = np.zeros(n)
    csc = aw.tocsc()
    h = _column_hashes(csc, weight)  # tests pass a degenerate hash to exercise the exact check
    # Pairs of cells with the same sign in one row.
    sizes = np.diff(aw.indptr)
    first, second = [], []
    n_short = 0  # pairs from rows of at most NESTED_ROW_MAX cells (they come first)
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= RECTANGLE_ROW_MAX)]):
        rows = np.flatnonzero(sizes == size)
        starts = aw.indptr[rows][:, None] + np.arange(size)
        cells, signs = aw.indices[starts], aw.data[starts]
        i, j = np.triu_indices(size, 1)
        same = signs[:, i] == signs[:, j]
        first.append(cells[:, i][same])
        second.append(cells[:, j][same])
        n_short += len(first[-1]) if size <= NESTED_ROW_MAX else 0
    none = np.empty(0, dtype=np.int64)
    x = np.concatenate([none, *first]).astype(np.int64)
    y = np.concatenate([none, *second]).astype(np.int64)
    if not len(x):
        return up, down
    # Each pair alone (x up, y down), and with each pair nested below it moving the same way.
    # Only pairs of short rows nest (two categories of an area, mostly): the long rows' pairs
    # (résidences of an IRIS) would multiply the lists and the memory for few proofs.
    parent, x2, y2 = _nested(aw, x[:n_short], y[:n_short])
    xa, ya = np.concatenate([x, x[parent]]), np.concatenate([y, y[parent]])
    xb = np.concatenate([np.full(len(x), -1), x2])
    yb = np.concatenate([np.full(len(x), -1), y2])
    # Two résidences in the same IRIS and the same QPV give their pairs twice: once is enough
    # (a group whose items share a cell does not move as a whole).
    first_key, second_key = xa * n + ya, (xb + 1) * (n + 1) + yb + 1
    order = np.lexsort((second_key, first_key))
    once = order[np.r_[True, (np.diff(first_key[order]) != 0) | (np.diff(second_key[order]) != 0)]]
    xa, ya, xb, yb = xa[once], ya[once], xb[once], yb[once]
    nested = xb >= 0
    with np.errstate(over="ignore"):
        key = h[ya] - h[xa] + np.where(nested, h[np.maximum(yb, 0)] - h[np.maximum(xb, 0)], np.uint64(0))
        # An item read the other way round (y and x swapped) differs the opposite way: each is
        # read so that those land in one group too (two communes' totals, one up and one down,
        # against the same two communes' category the other way).
        flip = key > np.uint64(0) - key
        key = np.where(flip, np.uint64(0) - key, key)
    xa, ya = np.where(flip, ya, xa), np.where(flip, xa, ya)
    xb, yb = np.where(flip, yb, xb), np.where(flip, xb, yb)

    def cap(c: np.ndarray, amount: np.ndarray) -> np.ndarray:  # no cell (-1): no limit
        return np.where(c >= 0, amount[np.maximum(c, 0)], np.inf)

    # Capacity of an item moved "x up, y down" (rise) and "x down, y up" (fall).
    rise = np.minimum.reduce([room[xa], v[ya], cap(xb, room), cap(yb, v)])
    fall = np.minimum.reduce([v[xa], room[ya], cap(xb, v), cap(yb, room)])
    order = np.argsort(key, kind="stable")
    key, xa, ya, xb, yb, rise, fall = (a[order] for a in (key, xa, ya, xb, yb, rise, fall))
    start, group = _runs(key)
    m = len(key)
    # Each item's column difference against its group's first item's, checked exactly: where
    # they are equal, the item rising and the first falling (or any other of the group, then
    # equal too) is a move that keeps every constraint. A hash collision fails the check.
    first = start[group]
    other = np.flatnonzero(first != np.arange(m))
    cells = np.stack([xa, ya, xb, yb], 1)
    equal = np.ones(m, dtype=bool)
    equal[other] = _residual(csc.T, np.concatenate([cells[other], cells[first[other]]], axis=1)) == 0
    # Items of a group that all check out and share no cell move together: one rises as far as
    # the others together can fall (each by its share), and conversely — three résidences'
    # worth of one-unit swaps protect a cell that no single rectangle does. Where items share a
    # cell (two pairs of one résidence with two others, a pair nested below several), only
    # those that come first, by capacity, for each of their cells move together.
    held = cells >= 0
    item = np.repeat(np.arange(m), held.sum(axis=1))
    owner = group[item].astype(np.int64) * n + cells[held]
    by_owner = np.lexsort((-(rise + fall)[item], owner))
    later = np.r_[False, owner[by_owner][1:] == owner[by_owner][:-1]]
    size = np.diff(np.r_[start, m])
    whole = (size >= 2) & (np.bincount(group, weights=~equal, minlength=len(start)) == 0)
    together = whole[group]
    together[item[by_owner][later]] = False
    sum_rise, sum_fall = (np.bincount(group, weights=np.where(together, c, 0.0), minlength=len(start))[group]
                          for c in (rise, fall))
    lifted = np.where(together, np.minimum(rise, sum_fall - fall), 0.0)  # item rises
    lowered = np.where(together, np.minimum(fall, sum_rise - rise), 0.0)  # item falls
    for c, rises in ((xa, True), (ya, False), (xb, True), (yb, False)):
        ok = c >= 0
        np.maximum.at(up, c[ok], (lifted if rises else lowered)[ok])
        np.maximum.at(down, c[ok], (lowered if rises else lifted)[ok])
    # Other items: the best single partner of each in its group, each rectangle checked
    # exactly (sought only in the groups that hold such an item).
    partner_fall, partner_rise = np.full(m, -1), np.full(m, -1)
    alone = ~together & (size[group] >= 2)
    if alone.any():
        sel = np.flatnonzero(np.isin(group, group[alone]))
        sub_start, sub_group = _runs(group[sel])
        for out, c in ((partner_fall, fall), (partner_rise, rise)):
            best = _best_other(c[sel], sub_group, sub_start)
            out[sel] = np.where(best >= 0, sel[np.maximum(best, 0)], -1)
        partner_fall[together], partner_rise[together] = -1, -1
    for partner in (partner_fall, partner_rise):
        use = np.flatnonzero(partner >= 0)
        if not len(use):
            continue
        p = partner[use]
        # Columns: the item's (x, y, x2, y2) then the partner's; signs for "item rises".
        cells = np.stack([xa[use], ya[use], xb[use], yb[use], xa[p], ya[p], xb[p], yb[p]], 1)
        signs = np.tile(RECTANGLE_SIGNS, (len(use), 1))
        real = cells >= 0
        ordered = np.sort(np.where(real, cells, -1 - np.arange(8)), axis=1)
        distinct = (np.diff(ordered, axis=1) != 0).all(axis=1)
        good = distinct & (_residual(csc.T, cells) == 0)
        use, p, cells, real, signs = use[good], p[good], cells[good], real[good], signs[good]
        # partner_fall: the item rises and its partner falls; partner_rise: the other way.
        t = np.minimum(rise[use], fall[p]) if partner is partner_fall else np.minimum(fall[use], rise[p])
        if partner is not partner_fall:
            signs = -signs
        t_all = np.broadcast_to(t[:, None], cells.shape)
        goes_up = real & (signs > 0)
        goes_down = real & (signs < 0)
        np.maximum.at(up, cells[goes_up], t_all[goes_up])
        np.maximum.at(down, cells[goes_down], t_all[goes_down])
    return up, down


def _column_hashes(csc: sparse.csc_matrix, weight: np.ndarray | None = None) -> np.ndarray:
    """A linear hash of each column: its entries weighted by random 64-bit weights per row
    (arithmetic modulo 2**64), so equal columns hash equal and different ones almost never do;
    whoever relies on it checks exactly what it matched."""
    if weight is None:
        weight = np.random.default_rng(20261123).integers(1, 2**63, size=csc.shape[0], dtype=np.int64)
    h = np.zeros(csc.shape[1], dtype=np.uint64)
    has = np.diff(csc.indptr) > 0
    with np.errstate(over="ignore"):  # -1 wraps
        terms = weight.astype(np.uint64)[csc.indices] * csc.data.astype(np.int64).astype(np.uint64)
        h[has] = np.add.reduceat(terms, csc.indptr[:-1][has])
    return h


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values of a sorted ``key`` starts, and each entry's run."""
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return start, np.repeat(np.arange(len(start)), np.diff(np.r_[start, len(key)]))


RECTANGLE_SIGNS = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0])  # item rises, partner falls


def _residual(columns: sparse.csr_matrix, cells: np.ndarray) -> np.ndarray:
    """Per rectangle (a row of ``cells``: an item's x, y, x2, y2 then its partner's, -1 for
    none), how far moving it (``RECTANGLE_SIGNS``) breaks the constraints: 0 when it keeps
    them all. ``columns`` holds the withheld cells' columns as rows (``aw.tocsc().T``). Cells
    that occur twice add up, so the check holds whatever they share."""
    real = cells >= 0
    signs = np.broadcast_to(RECTANGLE_SIGNS, cells.shape)
    moves = sparse.csr_matrix(
        (signs[real], cells[real], np.r_[0, np.cumsum(real.sum(axis=1))]),
        shape=(len(cells), columns.shape[0]),
    )
    return np.asarray(abs(moves @ columns).sum(axis=1)).ravel()


def _nested(aw: sparse.csr_matrix, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs nested below the pairs (x, y): (index of the pair, x2, y2) for every pair
    (x2, y2) of the list whose x2 is a part of a constraint that x is the total of, and y2 of one
    that y totals (two categories of an IRIS below the same two of its commune)."""
    n = aw.shape[1]
    totals = aw.data < 0
    row_of = np.repeat(np.arange(aw.shape[0]), np.diff(aw.indptr))
    one_total = np.bincount(row_of[totals], minlength=aw.shape[0]) == 1
    total_of = np.full(aw.shape[0], -1)
    total_of[row_of[totals & one_total[row_of]]] = aw.indices[totals & one_total[row_of]]
    parts = (aw.data > 0) & (total_of[row_of] >= 0)
    # Each cell's parents (the totals of the constraints it is a part of), grouped by cell.
    child, parent = aw.indices[parts], total_of[row_of[parts]]
    by_child = np.argsort(child, kind="stable")
    child, parent = child[by_child], parent[by_child]
    first = np.searchsorted(child, np.arange(n + 1))

    def parents(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into c, parent) for every parent of every cell of c."""
        count = first[c + 1] - first[c]
        at = np.repeat(np.arange(len(c)), count)
        return at, parent[first[c][at] + np.arange(len(at)) - np.repeat(np.cumsum(count) - count, count)]

    # A nested pair is found from below: its cells' parents, looked up among the pairs.
    i, px = parents(x)
    j, py = parents(y[i])  # every parent of y2 for every parent of x2
    below, px = i[j], px[j]
    key = np.concatenate([x, y]) * n + np.concatenate([y, x])  # a pair either way round
    pair = np.concatenate([np.arange(len(x))] * 2)
    order = np.argsort(key, kind="stable")
    key, pair = key[order], pair[order]
    at = np.searchsorted(key, px * n + py).clip(max=len(key) - 1)
    hit = key[at] == px * n + py
    # The nested pair moves as its parent pair does: x2 with the parent's x.
    swapped = order[at[hit]] >= len(x)  # found as (y, x): the nested pair is read the other way
    x2 = np.where(swapped, y[below[hit]], x[below[hit]])
    y2 = np.where(swapped, x[below[hit]], y[below[hit]])
    found = np.unique(np.stack([pair[at[hit]], x2, y2], 1), axis=0)
    return found[:, 0], found[:, 1], found[:, 2]


def _best_other(capacity: np.ndarray, group: np.ndarray, start: np.ndarray) -> np.ndarray:
    """For each item, the index of the item of largest capacity among the others of its group
    (-1 when it is alone). Items are sorted by group; ``start`` is where each group begins."""
    n = len(capacity)
    order = np.lexsort((-capacity, group))  # by group, largest capacity first
    first_of_group = order[start]
    size = np.diff(np.r_[start, n])
    second = np.full(len(start), -1)
    has_two = size >= 2
    second[has_two] = order[start[has_two] + 1]
    best = first_of_group[group]
    out = np.where(best == np.arange(n), second[group], best)
    out[size[group] < 2] = -1
    return out


def _pooled(
    sub: sparse.csr_matrix, rhs: np.ndarray, upper: np.ndarray, atoms: np.ndarray, settled: np.ndarray,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fold interchangeable résidences of a block into one column each: (columns kept, rows
    kept, upper bounds of the kept columns). Exact for every cell not folded away.

    ``atoms`` holds each candidate's columns (a résidence's cells, one per column of the table;
    -1: none). Résidences withheld whole and already proven both ways (``settled``), whose
    cells share one upper bound ``d`` each, whose own constraints are the same (holding 0: all
    their cells are withheld) and which sit in the same other constraints with the same
    coefficients, are each the set ``d * Q`` for one ``Q = {C x = 0, 0 <= x <= 1}``: their sum
    ranges over ``(sum of d) * Q`` (Q is convex), as a single résidence of the summed bound
    would. One column per column of the table stands for them all, and the attacker's bounds
    on every other cell stay the same. Every condition is checked on the matrix itself.
    """
    n, m = sub.shape[1], sub.shape[0]
    everything = np.arange(n), np.arange(m), upper
    present = atoms >= 0
    cols = np.where(present, atoms, 0)
    uniform = np.where(present, upper[cols], np.inf).min(axis=1) == np.where(present, upper[cols], -np.inf).max(axis=1)
    ok = (present.sum(axis=1) >= 2) & np.where(present, settled[cols], True).all(axis=1) & uniform
    present, cols = present[ok], cols[ok]
    if len(cols) < 2:
        return everything
    count = present.sum(axis=1)
    owner = np.full(n, -1)
    owner[cols[present]] = np.repeat(np.arange(len(cols)), count)
    position = np.full(n, -1)
    position[cols[present]] = np.nonzero(present)[1]
    # A résidence's own rows: all their cells are its cells.
    sizes = np.diff(sub.indptr)
    nonempty = np.flatnonzero(sizes)
    of_entry = owner[sub.indices]
    low = np.minimum.reduceat(of_entry, sub.indptr[nonempty])
    high = np.maximum.reduceat(of_entry, sub.indptr[nonempty])
    row_owner = np.full(m, -1)
    row_owner[nonempty] = np.where((low == high) & (low >= 0), low, -1)
    own = np.flatnonzero(row_owner >= 0)
    outside = sub[np.flatnonzero(row_owner < 0)].tocsc()
    # Candidates grouped by their columns outside themselves and where their cells are (hashed
    # like the rectangles' columns), each then checked exactly against its group's first.
    h = _column_hashes(outside, weight)  # tests pass a degenerate hash to exercise the exact checks
    signature = np.concatenate([np.where(present, h[cols], np.uint64(0)), present.astype(np.uint64)], axis=1)
    group = np.unique(signature, axis=0, return_inverse=True)[1].ravel()
    first = np.full(group.max() + 1, len(cols))
    np.minimum.at(first, group, np.arange(len(cols)))
    rep = first[group]
    mine, theirs = cols[present], cols[rep][present]
    differs = np.asarray(abs(outside[:, mine] - outside[:, theirs]).sum(axis=0)).ravel() > 0
    same = np.bincount(np.repeat(np.arange(len(cols)), count)[differs], minlength=len(cols)) == 0
    # Own rows as rows over the table's columns, sorted: the same array for the same system.
    entries = index_ranges(sub.indptr, own)
    dense = np.zeros((len(own), present.shape[1]), dtype=np.int8)
    dense[np.repeat(np.arange(len(own)), sizes[own]), position[sub.indices[entries]]] = sub.data[entries]
    order = np.lexsort((*dense.T[::-1], row_owner[own]))
    held = np.bincount(row_owner[own], minlength=len(cols))
    systems = np.split(dense[order], np.cumsum(held)[:-1])
    same &= np.bincount(row_owner[own], weights=rhs[own] != 0, minlength=len(cols)) == 0
    same &= np.array([np.array_equal(systems[a], systems[rep[a]]) for a in range(len(cols))])
    same &= same[rep]
    folded = same & (rep != np.arange(len(cols)))
    if not folded.any():
        return everything
    pooled = upper.astype(float)
    np.add.at(pooled, cols[rep[folded]][present[folded]], upper[cols[folded][present[folded]]])
    keep = np.ones(n, dtype=bool)
    keep[cols[folded][present[folded]]] = False
    kept = np.flatnonzero(keep)
    return kept, np.flatnonzero(np.diff(sub[:, kept].tocsr().indptr) > 0), pooled[kept]


def _verified_moves(
    table: CellTable, withheld: np.ndarray, upper: np.ndarray, witnesses: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """How far each cell is proven to rise and to fall by the ``witnesses`` that hold here.

    A witness is a move ``y`` (cells, amounts) proposed by anyone (the suppression's patterns):
    it counts only if this audit checks that it moves withheld cells alone, keeps every
    constraint (``A y = 0``) and every bound (``0 <= v + y <= upper``). Then ``v + y`` is a table
    the attacker cannot rule out, so each cell it moves can reach ``v + y``; the same for
    ``v - y`` on its own bounds. Nothing is taken on trust: a wrong witness is ignored.
    """
    n = table.n
    rise, fall = np.zeros(n), np.zeros(n)
    witnesses = [(c, m) for c, m in witnesses if len(c)]
    if not witnesses:
        return rise, fall
    sizes = np.array([len(c) for c, _ in witnesses])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    cells = np.concatenate([np.asarray(c, dtype=np.int64) for c, _ in witnesses])
    y = np.concatenate([np.asarray(m, dtype=float) for _, m in witnesses])
    which = np.repeat(np.arange(len(witnesses)), sizes)
    moves = sparse.csc_matrix((y, (cells, which)), shape=(n, len(witnesses)))
    residual = abs(table.constraints @ moves).max(axis=0).toarray().ravel()  # |A y| per witness
    v = table.values[cells].astype(float)
    top = upper[cells]
    tol = 1e-7
    inside = (v + y >= -tol) & (v + y <= top + tol)
    mirrored = (v - y >= -tol) & (v - y <= top + tol)
    sound = (residual <= 1e-6) & np.logical_and.reduceat(withheld[cells], starts)
    for holds, move in ((inside, y), (mirrored, -y)):
        ok = (sound & np.logical_and.reduceat(holds, starts))[which]
        np.maximum.at(rise, cells[ok], np.clip(move[ok], 0, None))
        np.maximum.at(fall, cells[ok], np.clip(-move[ok], 0, None))
    return rise, fall


def _atoms_in(atom_cell: np.ndarray, cells: np.ndarray, n: int) -> np.ndarray:
    """The atoms (résidences) all of whose cells are among ``cells``, as positions in it."""
    local = np.full(n, -1)
    local[cells] = np.arange(len(cells))
    at = np.where(atom_cell >= 0, local[np.maximum(atom_cell, 0)], -1)
    whole = ((atom_cell < 0) | (at >= 0)).all(axis=1) & (at >= 0).any(axis=1)
    return at[whole]


LOCAL_CHUNK = 300  # cells near a cell when deciding it on its neighbourhood
CERTIFY_CHUNK = 5000  # cells per local programme when certifying a large block piece by piece
BATCH_COLUMNS = 400  # small blocks are bounded together in programmes of about this size


def _past(x: np.ndarray | float, need: np.ndarray | float, sense: float) -> np.ndarray | bool:
    """Whether ``x`` reaches ``need`` in direction ``sense`` (-1: up to it, +1: down to it)."""
    return x >= need - 1e-6 if sense < 0 else x <= need + 1e-6


def _push(
    lp: _Block, pending: np.ndarray, need: np.ndarray, sense: float, max_solves: int = 10**9,
    releases: int = 0, reweights: int = REWEIGHTS, other: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Cells of ``pending`` that some optimum carries past ``need`` (batch objectives).

    While pushing, each pending cell is held within its requirement (a cell pushed past it
    certifies nothing more and holds back the others): a smaller feasible set, so whatever is
    reached in it is reachable in the attacker's, and every optimum certifies more cells.
    Up to ``releases`` times, a stalled push frees the cells certified so far and goes on.
    The holds stay when it returns (a smaller set still: the block's next push starts from a
    feasible basis); ``lp.restore()`` lifts them before any cell is bounded on its own.
    ``other``: (requirement, proven) of the opposite direction; every optimum is a feasible
    table all the same, so each cell it carries past that requirement is marked proven there
    (the cells an upward push lowers to make room, mostly).
    """
    certified = []

    def optimum(weights: np.ndarray, fresh: bool = False) -> np.ndarray:
        x = lp.optimum(weights, fresh=fresh)
        if other is not None:
            other_need, other_ok = other
            other_ok |= _past(x, other_need, -sense)
        return x

    start = lp.lo_now.copy(), lp.hi_now.copy()  # the bounds in force (an earlier push's holds)

    def hold(x: np.ndarray) -> None:
        """Hold the pending cells within their requirement, or at their value in ``x`` where it
        carried them past it (``x`` stays feasible: the next solve goes on from its basis), and
        free every other cell held by this push."""
        lo, hi = start[0].copy(), start[1].copy()
        at = (np.maximum if sense < 0 else np.minimum)(need[pending], x[pending])
        if sense < 0:
            hi[pending] = np.minimum(hi[pending], at)
        else:
            lo[pending] = np.maximum(lo[pending], at)
        lp.bound(lo, hi)

    def reached(x: np.ndarray) -> np.ndarray:
        return _past(x[pending], need[pending], sense)

    retries = reweights
    clipped = len(pending)  # cells still held within their requirement
    rng = np.random.default_rng(len(pending))  # seeded: the same table gets the same verdict path
    fresh = True  # the push's first solve
    # Held after the first optimum, not before: tightening the bounds first would start the
    # push from an infeasible basis (the down push of the full occupation block, from the up
    # push's last basis: 5.6 s, against 1.3 s held after).
    held = False
    for _ in range(max_solves):
        if not len(pending):
            break
        weights = np.zeros(lp.n)
        weights[pending] = sense
        x = optimum(weights, fresh=fresh)
        if not held:
            hold(x)
            held = True
        fresh = False
        done = reached(x)
        while not done.any() and reweights:
            # The optimum of the sum can spread the push so that no cell reaches its
            # requirement; uneven weights favour some cells and reach another vertex, from the
            # last basis (a few hundred iterations, where starting afresh took seconds).
            reweights -= 1
            weights[pending] = sense * rng.uniform(0.01, 1.0, len(pending)) ** 3
            x = optimum(weights)
            done = reached(x)
        if not done.any() and clipped > len(pending) and releases and lp.n <= RELEASE_UP_TO:
            # Stalled with certified cells still held within their requirement: they narrow
            # the others' room for nothing. Released (one bound change, so seldom: each
            # costs the warm start much of its lead), the push goes on. Only on blocks of
            # modest size: on the 97,000-cell block of the full occupation table it cost 7 s
            # over the protection and withheld more; on the national grid's 123,000, 80 s.
            hold(x)
            clipped, reweights, releases = len(pending), retries, releases - 1
            fresh = True  # new bounds: as a new push
            continue
        if not done.any():
            break
        certified.append(pending[done])
        pending = pending[~done]
    return np.concatenate(certified) if certified else np.array([], dtype=int)


def _certify_locally(
    sub: sparse.csr_matrix, rhs: np.ndarray, upper: np.ndarray, v: np.ndarray,
    need_hi: np.ndarray, need_lo: np.ndarray, cells: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Certify cells of a large block with small programmes; returns (up ok, down ok, solves).

    Each programme covers the ``CERTIFY_CHUNK`` cells nearest (breadth first) to a cell not yet
    certified and pushes every uncertified cell in it at once. The cells outside are held at
    their true values: any point feasible there is feasible for the whole block, so a cell
    lifted past its requirement is certified for good (sound; what it cannot certify goes on
    to the whole block).
    """
    n = sub.shape[1]
    csc = sub.tocsc()
    up_ok = np.zeros(n, dtype=bool)
    down_ok = np.zeros(n, dtype=bool)
    todo = np.zeros(n, dtype=bool)
    todo[cells] = True
    inside = np.zeros(n, dtype=bool)
    solves = 0

    def largest_first(c: np.ndarray) -> np.ndarray:
        return np.argsort(-v[c], kind="stable")

    # Twice, chunks that tile the block (each seeded outside the chunks before it; the second
    # time around the cells the first left). When a breadth-first layer overflows, the largest
    # cells get in (room to absorb a move). What is left goes to the whole block, whose push
    # certifies hundreds of cells a solve: chunks centred on each of them cost more (on the full
    # occupation table, 13.5 s for 1.5 % of the cells).
    most = TILING_OVERLAP * -(-n // CERTIFY_CHUNK)
    for _ in range(2):
        skip = np.zeros(n, dtype=bool)  # covered by a chunk of this tiling
        chunks = 0
        for k in cells:
            if skip[k] or (up_ok[k] and down_ok[k]):
                continue
            if chunks == most:
                break
            chunks += 1
            chunk = near(sub, csc, int(k), CERTIFY_CHUNK, rank=largest_first)
            skip[chunk] = True
            inside[chunk] = True
            rows = rows_of(csc, chunk)
            part = sub[rows]
            # Cells a constraint pins (its only cell in the chunk, transitively) stay at their
            # true values with the cells outside: a smaller programme, the same pushes.
            free = ~solver.pinned(part[:, chunk], upper[chunk] > 0)
            inside[chunk[~free]] = False
            fixed = part @ np.where(inside, 0.0, v)
            inside[chunk] = False
            chunk = chunk[free]
            lp = _Block(part[:, chunk], rhs[rows] - fixed, upper[chunk])
            for sense, need, ok, other_need, other_ok in (
                (-1.0, need_hi, up_ok, need_lo, down_ok), (1.0, need_lo, down_ok, need_hi, up_ok)
            ):
                pending = np.flatnonzero(todo[chunk] & ~ok[chunk])
                by_the_way = other_ok[chunk]
                done = _push(lp, pending, need[chunk], sense, reweights=LOCAL_REWEIGHTS,
                             other=(other_need[chunk], by_the_way))
                ok[chunk[done]] = True
                other_ok[chunk[by_the_way]] = True
            solves += lp.solves
    return up_ok, down_ok, solves


def _decide_near(
    sub: sparse.csr_matrix, rhs: np.ndarray, upper: np.ndarray, v: np.ndarray,
    need: np.ndarray, k: int, sense: float, csc: sparse.csc_matrix,
) -> str | tuple[float, float] | None:
    """Decide one cell of a large block on its neighbourhood, or return None.

    Holding the cells beyond the neighbourhood at their true values restricts the attacker's
    system: a point found there is feasible for the whole block ("ok" is sound). Dropping the
    constraints that reach beyond it relaxes the system: bounds found there are looser than the
    true ones, so a requirement they already break is a proven disclosure (returned as bounds).
    """
    n = sub.shape[1]
    around = near(sub, csc, k, LOCAL_CHUNK)  # k first
    inside = np.zeros(n, dtype=bool)
    inside[around] = True
    rows = rows_of(csc, around)
    part = sub[rows]
    at = 0
    weights = np.zeros(len(around))
    weights[at] = sense
    outside_v = np.where(inside, 0.0, v)
    restricted = _Block(part[:, around], rhs[rows] - part @ outside_v, upper[around])
    xk = restricted.optimum(weights)[at]
    if _past(xk, need[k], sense):
        return "ok"
    closed = rows[(abs(part) @ (~inside).astype(float)) == 0]
    if len(closed) == 0:
        return None
    relaxed = _Block(sub[closed][:, around], rhs[closed], upper[around])
    xk = relaxed.optimum(weights)[at]
    if _past(xk, need[k], sense):
        return None  # the neighbourhood cannot tell: decide on the whole block
    other = relaxed.optimum(-weights)[at]
    return tuple(sorted((xk, other)))


def audit(
    table: CellTable,
    withheld: np.ndarray,
    protection: int = 3,
    threshold: int = 11,
    cache: dict[bytes, list] | None = None,
    exact: bool = True,
    proofs: Proofs | None = None,
    witnesses: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> AuditReport:
    """Play the attacker on ``table`` with ``withheld`` cells; report every disclosure.

    ``cache`` (optional, for repeated audits of the same table) remembers the verdict of each
    block by its set of withheld cells: a block's constraints and published totals depend on
    nothing else, so an unchanged block need not be solved again (give each mode its own).
    With ``exact=False`` the cells of large blocks that the batch programmes cannot prove safe
    are reported as ``UNPROVEN`` without bounding each one on the whole block (the costly part):
    a quick pass for the suppression's rounds. A quick report with nothing in it is a complete
    proof all the same; anything else needs the exact audit's word. ``proofs`` (optional)
    carries the cells proven safe by earlier audits of a subset of ``withheld`` (see
    ``Proofs``) and receives this audit's. ``witnesses`` (optional): moves ``(cells, y)`` that
    claim to keep the table consistent; each one this audit verifies proves the cells it moves
    far enough (``_verified_moves``), without a programme.
    """
    t0 = time.perf_counter()
    # The attacker knows public counts whatever their display status.
    withheld = (np.asarray(withheld, dtype=bool) & ~table.known) | table.virtual
    values = table.values
    a = table.constraints
    w_idx = np.flatnonzero(withheld)
    aw = a[:, w_idx].tocsr()
    b = -(a[:, ~withheld] @ values[~withheld])
    active = np.diff(aw.indptr) > 0
    active_rows = np.flatnonzero(active)
    aw, b, pop = aw[active], b[active], table.population[active]
    found: list[tuple[int, int, float, float, str]] = []

    # Population rows whose withheld parts are all parts (+1): their sum is published in effect.
    pos_only = np.asarray((aw < 0).sum(axis=1)).ravel() == 0
    real = np.asarray(aw[:, ~table.virtual[w_idx]].astype(bool).sum(axis=1)).ravel() > 0
    small = pop & pos_only & real & (b >= 1) & (b < threshold)
    for row in np.flatnonzero(small):
        cells = w_idx[aw[row].indices]
        found.append((int(cells[0]), int(values[cells[0]]), float(b[row]), float(b[row]), GROUP))

    n_blocks, labels = _blocks(aw)
    protect = ~table.virtual[w_idx]
    big = float(max(values.sum(), 1) * 10)
    upper_all = np.minimum(table.upper[w_idx], big)
    v = values[w_idx].astype(float)
    need_hi = np.minimum(np.minimum(v + protection, upper_all), table.ceiling[w_idx])
    need_lo = np.maximum(v - protection, 0.0)
    proven = {-1.0: np.zeros(len(w_idx), dtype=bool), 1.0: np.zeros(len(w_idx), dtype=bool)}
    carried = 0
    if proofs is not None:
        shrunk = (proofs.withheld & ~withheld).any()  # not a superset: earlier proofs do not hold
        if shrunk:
            proofs.up[:], proofs.down[:] = False, False
        if shrunk or proofs.col_status is None:  # nor do the bases of larger blocks
            proofs.col_status, proofs.row_status = np.full(table.n, -1), np.full(a.shape[0], -1)
        proofs.withheld = withheld.copy()
        carried = int((proofs.up[w_idx] & proofs.down[w_idx] & protect).sum())
        proven[-1.0] |= proofs.up[w_idx]
        proven[1.0] |= proofs.down[w_idx]
    must_rise, must_fall = need_hi - v - 1e-9, v - need_lo - 1e-9  # what a proof must move
    if witnesses:
        rise, fall = _verified_moves(table, withheld, np.minimum(table.upper, big), witnesses)
        proven[-1.0] |= rise[w_idx] >= must_rise
        proven[1.0] |= fall[w_idx] >= must_fall
    if carried < RECTANGLES_UNTIL * protect.sum():  # else the few cells left go to programmes
        rect_up, rect_down = _rectangles(aw, v, upper_all - v)
        proven[-1.0] |= rect_up >= must_rise
        proven[1.0] |= rect_down >= must_fall
    if proofs is not None:
        proofs.up[w_idx] |= proven[-1.0]
        proofs.down[w_idx] |= proven[1.0]
    settled = proven[-1.0] & proven[1.0] | ~protect  # nothing left to bound
    settled_cell = np.zeros(table.n, dtype=bool)
    settled_cell[w_idx] = settled
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_blocks + 1))
    aw_csc = aw.tocsc()
    in_rows = np.diff(aw_csc.indptr) > 0  # withheld cells in some constraint still active
    largest = 0
    solves = 0

    def settle(group: list[np.ndarray], large: bool) -> list[tuple]:
        """Bound the cells of one large block, or of several small ones in one programme (the
        blocks share no constraint, so the programme is their union: fewer, larger solves)."""
        nonlocal solves
        cols = np.concatenate(group)
        sub = aw_csc[:, cols].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        whole_block = large and len(cols) > CERTIFY_CHUNK  # certified piece by piece first
        keep_basis = proofs is not None and whole_block
        sub, rhs = sub[rows], b[rows]
        out: list[tuple] = []
        local_protect = np.flatnonzero(protect[cols])
        certified = {sense: proven[sense][cols].copy() for sense in proven}
        unproven = local_protect[~(certified[-1.0] & certified[1.0])[local_protect]]
        if whole_block and len(unproven):
            up_ok, down_ok, k_solves = _certify_locally(
                sub, rhs, upper_all[cols], v[cols], need_hi[cols], need_lo[cols], unproven
            )
            certified[-1.0] |= up_ok
            certified[1.0] |= down_ok
            solves += k_solves
        lp = None
        csc = None
        needs = {-1.0: need_hi[cols], 1.0: need_lo[cols]}
        for sense in (-1.0, 1.0):  # -1: push up (maximise), +1: push down (minimise)
            pending = local_protect[~certified[sense][local_protect]]
            if len(pending) and lp is None:
                lp_cols, lp_rows, lp_upper = np.arange(len(cols)), np.arange(len(rows)), upper_all[cols]
                if whole_block and table.layout is not None:
                    settled_here = (certified[-1.0] & certified[1.0]) | ~protect[cols]
                    lp_cols, lp_rows, lp_upper = _pooled(
                        sub, rhs, lp_upper, _atoms_in(table.layout.atom_cell, w_idx[cols], table.n), settled_here
                    )
                at = np.full(len(cols), -1)
                at[lp_cols] = np.arange(len(lp_cols))
                folded = len(lp_cols) < len(cols)  # else the block's own matrix, not a copy of it
                interior = whole_block and (~protect[cols[lp_cols]]).mean() > INTERIOR_SHARE
                lp = _Block(sub[lp_rows][:, lp_cols] if folded else sub, rhs[lp_rows], lp_upper, interior)
                if keep_basis:
                    lp.start_from(proofs.col_status[w_idx[cols[lp_cols]]], proofs.row_status[active_rows[rows[lp_rows]]])
            if len(pending):
                by_the_way = certified[-sense][lp_cols]
                done = lp_cols[_push(lp, at[pending], needs[sense][lp_cols], sense, releases=RELEASES,
                                     other=(needs[-sense][lp_cols], by_the_way))]
                certified[sense][done] = True
                certified[-sense][lp_cols[by_the_way]] = True
        if lp is not None:
            lp.restore()
        # What the pushes left, each cell on its own.
        for sense in (-1.0, 1.0):
            need = needs[sense]
            pending = local_protect[~certified[sense][local_protect]]
            if not exact and large:  # small blocks: exact is cheap
                out.extend((int(w_idx[cols[k]]), int(v[cols[k]]), np.nan, np.nan, UNPROVEN) for k in pending)
                continue
            for k in pending:
                # Bound each remaining cell on its own: near it first (sound both ways), then
                # on the whole block when the neighbourhood cannot decide.
                verdict = None
                if large:
                    if csc is None:
                        csc = sub.tocsc()
                    verdict = _decide_near(sub, rhs, upper_all[cols], v[cols], need, k, sense, csc)
                if verdict is None:
                    weights = np.zeros(len(lp_cols))
                    weights[at[k]] = sense
                    xk = lp.optimum(weights)[at[k]]
                    ok = _past(xk, need[k], sense)
                    interval = None if ok else tuple(sorted((xk, lp.optimum(-weights)[at[k]])))
                else:
                    interval = verdict if verdict != "ok" else None
                if interval is None:
                    certified[sense][k] = True
                else:
                    lo, hi = interval
                    kind = EXACT if abs(hi - lo) < 0.5 else INTERVAL
                    out.append((int(w_idx[cols[k]]), int(v[cols[k]]), lo, hi, kind))
        solves += lp.solves if lp is not None else 0
        if keep_basis and lp is not None and (basis := lp.basis()) is not None:
            proofs.col_status[w_idx[cols[lp_cols]]], proofs.row_status[active_rows[rows[lp_rows]]] = basis
        if proofs is not None:
            proofs.up[w_idx[cols]] |= certified[-1.0]
            proofs.down[w_idx[cols]] |= certified[1.0]
        if cache is not None:  # remembered per block
            block_of = {int(w_idx[c]): i for i, cs in enumerate(group) for c in cs}
            per_block: list[list] = [[] for _ in group]
            for item in out:
                per_block[block_of[item[0]]].append(item)
            for cs, items in zip(group, per_block, strict=True):
                cache[w_idx[cs].tobytes()] = items
        return out

    batch: list[np.ndarray] = []
    for blk in range(n_blocks):
        cols = order[bounds[blk] : bounds[blk + 1]]
        largest = max(largest, len(cols))
        if not protect[cols].any():
            continue
        if not in_rows[cols].any():
            continue  # in no constraint with a known total: nothing to derive it from
        if len(cols) == 1:
            c = cols[0]
            if protect[c] and (need_hi[c] > v[c] or need_lo[c] < v[c]):  # else nothing to hide
                found.append((int(w_idx[c]), int(v[c]), v[c], v[c], EXACT))
            continue
        if settled[cols].all():
            continue  # every cell proven both ways already (rectangles, earlier audits)
        key = w_idx[cols].tobytes()
        if cache is not None and key in cache:
            # Unchanged block, same verdict, but for the cells proven since (by witnesses).
            found.extend(item for item in cache[key] if not settled_cell[item[0]])
            continue
        if len(cols) > 2 * LOCAL_CHUNK:  # certified piece by piece, decided near each cell
            found.extend(settle([cols], large=True))
            continue
        batch.append(cols)
        if sum(map(len, batch)) >= BATCH_COLUMNS:
            found.extend(settle(batch, large=False))
            batch = []
    if batch:
        found.extend(settle(batch, large=False))
    disclosures = pd.DataFrame(found, columns=["cell", "value", "lower", "upper", "kind"])
    disclosures = disclosures.drop_duplicates(["cell", "kind"]).reset_index(drop=True)
    return AuditReport(
        ok=disclosures.empty,
        disclosures=disclosures,
        checked=int(protect.sum()),
        blocks=int(n_blocks),
        largest_block=int(largest),
        seconds=time.perf_counter() - t0,
        lp_solves=solves,
        carried=carried,
    )
