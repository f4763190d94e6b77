"""HiGHS runs, and what a programme's equations pin, shared by the audit's and the patterns'
linear programmes."""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

from workbench.secrecy.table import distinct, index_ranges


def new() -> highspy.Highs:
    """A quiet HiGHS on one thread. Its simplex runs serially anyway and the build keeps both
    cores busy with two themes at once; on more threads, the first run of a process starts
    HiGHS's thread pool (peer case small: the audit's first call 23-26 ms, 19 ms without)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def run(h: highspy.Highs, interior: bool = False) -> None:
    """Solve ``h`` as it stands: by the simplex (from its last basis, if any), or by interior
    point then crossover (a vertex, and a basis for the next run), the simplex finishing where
    interior point gave no optimum. Interior point pays on programmes of mostly virtual pieces,
    all but unbounded, where the simplex spends its time in degenerate pivots."""
    if interior:
        h.setOptionValue("solver", "ipm")
        h.run()
        h.setOptionValue("solver", "simplex")
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            return
    h.run()


def pinned(sub: sparse.csr_matrix, movable: np.ndarray) -> np.ndarray:
    """The movable columns of ``sub`` that its equations pin whatever the objective: a row with
    a single movable column (the others held still, outside the programme or unable to move)
    fixes it, which may leave another row with a single one, and so on. What HiGHS's presolve
    finds first, done once per programme so that its re-solves keep their basis."""
    pinned = ~movable
    cols = sub.tocsc()
    counts = np.asarray(abs(sub).astype(bool) @ movable.astype(np.int64)).ravel()
    single = np.flatnonzero(counts == 1)
    while len(single):
        entries = sub.indices[index_ranges(sub.indptr, single)]
        cells = distinct(entries[~pinned[entries]], len(pinned))
        if not len(cells):
            break
        pinned[cells] = True
        rows = cols.indices[index_ranges(cols.indptr, cells)]
        np.subtract.at(counts, rows, 1)
        touched = distinct(rows, sub.shape[0])
        single = touched[counts[touched] == 1]
    return pinned & movable
