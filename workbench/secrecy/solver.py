"""HiGHS runs shared by the audit's and the patterns' linear programmes."""

from __future__ import annotations

import highspy


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
