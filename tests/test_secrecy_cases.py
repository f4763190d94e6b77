"""Hand-made tables: the audit catches a naive (primary-only) suppression, ``protect`` fixes it.

Each case states the disclosure an attacker gets from the naive pattern — cell, kind, interval
— worked out by hand in its docstring; the audit must find exactly that (so the audit can
fail), the scipy brute force must agree, and ``protect``'s output must leave nothing to find
while every published cell still obeys rules 1-4.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest
from secrecy_cases import (
    RULES,
    VALID_STATUSES,
    Case,
    brute_force_disclosed,
    brute_force_intervals,
    counts_frame,
    make_case,
)

from workbench.secrecy import CellTable, audit, constraint_rows, protect
from workbench.secrecy.audit import EXACT, GROUP
from workbench.secrecy.patterns import PatternSolver

OCC_BASES = {"reponse": ("menages", ""), "composition": ("reponse", "REPONDU")}
Expected = list[tuple[tuple[str, str, str], str, float, float]]


def occupation(households: int, alone: int, respondents: int | None = None) -> dict:
    """One résidence's occupation counts (full response unless told)."""
    r = households if respondents is None else respondents
    return {
        ("menages", ""): households,
        ("reponse", "REPONDU"): r,
        ("reponse", "NON_REPONDU"): households - r,
        ("composition", "SEUL"): alone,
        ("composition", "COUPLE"): r - alone,
    }


def single_child() -> tuple[Case, Expected]:
    """Résidence R1 (5 households) is the only withheld child of IRIS I1 = R1 + R2 + R3
    (5 + 30 + 25); I1 and the others are published: R1 = 60 - 30 - 25 = 5 exactly."""
    areas = {
        "C": ("commune", ["r1", "r2", "r3", "r4"]),
        "I1": ("iris", ["r1", "r2", "r3"]),
        "I2": ("iris", ["r4"]),
        "R1": ("residence", ["r1"]),
        "R2": ("residence", ["r2"]),
        "R3": ("residence", ["r3"]),
        "R4": ("residence", ["r4"]),
    }
    per_atom = counts_frame({f"r{k}": {("menages", ""): v} for k, v in enumerate([5, 30, 25, 40], 1)})
    case = make_case(areas, per_atom, "occupation", {})
    # 5 households alone are also a population under the threshold.
    return case, [(("menages", "", "R1"), EXACT, 5, 5), (("menages", "", "R1"), GROUP, 5, 5)]


def two_small_children() -> tuple[Case, Expected]:
    """IRIS I1 = R1 + R2 + R3 = 4 + 5 + 31: R1 and R2 are both withheld, so each moves in
    [0, 9] (protected on its own), but their union of 9 households (< 11) is derivable."""
    areas = {
        "I1": ("iris", ["r1", "r2", "r3"]),
        "R1": ("residence", ["r1"]),
        "R2": ("residence", ["r2"]),
        "R3": ("residence", ["r3"]),
    }
    per_atom = counts_frame({f"r{k}": {("menages", ""): v} for k, v in enumerate([4, 5, 31], 1)})
    case = make_case(areas, per_atom, "occupation", {})
    return case, [(("menages", "", "R1"), GROUP, 9, 9)]


def full_share_and_complement() -> tuple[Case, Expected]:
    """IRIS I1: 20 households, all alone (100 % "SEUL", 0 % "COUPLE": both withheld); I2:
    15 alone, 10 in couple. The commune's published shares give I1 by difference:
    SEUL = 35 - 15 = 20 and COUPLE = 10 - 10 = 0, exactly."""
    areas = {
        "C": ("commune", ["r1", "r2"]),
        "I1": ("iris", ["r1"]),
        "I2": ("iris", ["r2"]),
    }
    per_atom = counts_frame({"r1": occupation(20, 20), "r2": occupation(25, 15)})
    case = make_case(areas, per_atom, "occupation", OCC_BASES)
    return case, [
        (("composition", "SEUL", "I1"), EXACT, 20, 20),
        (("composition", "COUPLE", "I1"), EXACT, 0, 0),
    ]


def qpv_across_two_iris() -> tuple[Case, Expected]:
    """QPV Q crosses IRIS I1 and I2 (3 + 4 = 7 households: withheld); I3 is outside. The
    commune (82), its three IRIS and the commune hors QPV (75) are published, résidences are
    not, so the table holds virtual IRIS∩QPV pieces. Q = C - H = 82 - 75 = 7 exactly,
    which the attacker gets only through those pieces (Q and H are in no common constraint)."""
    areas = {
        "C": ("commune", ["a1", "b1", "a2", "b2", "b3"]),
        "I1": ("iris", ["a1", "b1"]),
        "I2": ("iris", ["a2", "b2"]),
        "I3": ("iris", ["b3"]),
        "Q": ("qpv", ["a1", "a2"]),
        "H": ("commune_hors_qpv", ["b1", "b2", "b3"]),
    }
    per_atom = counts_frame({
        "a1": {("menages", ""): 3}, "a2": {("menages", ""): 4}, "b1": {("menages", ""): 20},
        "b2": {("menages", ""): 25}, "b3": {("menages", ""): 30},
    })
    case = make_case(areas, per_atom, "occupation", {})
    assert case.table.virtual.sum() == 4  # the four IRIS∩QPV pieces (I3 is its own atom)
    return case, [(("menages", "", "Q"), EXACT, 7, 7)]


def residence_in_published_iris() -> tuple[Case, Expected]:
    """Two IRIS of a commune, each with résidences: R3 (6 households) is withheld in I2
    whose other résidences R4, R5 are published: R3 = 50 - 24 - 20 = 6 (and 6 < 11 is a
    small population on its own); I1 is clean."""
    areas = {
        "E": ("epci", ["r1", "r2", "r3", "r4", "r5"]),
        "C": ("commune", ["r1", "r2", "r3", "r4", "r5"]),
        "I1": ("iris", ["r1", "r2"]),
        "I2": ("iris", ["r3", "r4", "r5"]),
        **{f"R{k}": ("residence", [f"r{k}"]) for k in range(1, 6)},
    }
    per_atom = counts_frame({f"r{k}": {("menages", ""): v} for k, v in enumerate([30, 40, 6, 24, 20], 1)})
    case = make_case(areas, per_atom, "occupation", {})
    return case, [(("menages", "", "R3"), EXACT, 6, 6), (("menages", "", "R3"), GROUP, 6, 6)]


def dwelling_counts_pin_a_residence() -> tuple[Case, Expected]:
    """The attacker knows each address's dwelling count (RPLS). IRIS I1 = R1 + R2 + R3 =
    5 + 20 + 30 with R1 and R2 withheld (R2 as if a secondary): R1 + R2 = 25, and R2 has 20
    dwellings, so R1 >= 5; R1 has 5 dwellings, so R1 = 5 and R2 = 20 exactly. Without the
    dwelling counts the same pattern is safe (both move in [0, 25])."""
    areas = {
        "I1": ("iris", ["r1", "r2", "r3"]),
        "R1": ("residence", ["r1"]),
        "R2": ("residence", ["r2"]),
        "R3": ("residence", ["r3"]),
    }
    per_atom = counts_frame({f"r{k}": {("menages", ""): v} for k, v in enumerate([5, 20, 30], 1)})
    case = make_case(areas, per_atom, "occupation", {}, population=set(),
                     atom_upper={"r1": 5, "r2": 20, "r3": 40})
    return case, [(("menages", "", "R1"), EXACT, 5, 5)]


def test_dwelling_counts_are_attacker_knowledge() -> None:
    case, _ = dwelling_counts_pin_a_residence()
    withheld = case.naive()
    withheld[case.cell("menages", "", "R2")] = True
    found = audit(case.table, withheld, RULES.protection, RULES.threshold).disclosures
    assert sorted(zip(found["cell"], found["kind"], found["lower"], found["upper"], strict=True)) == [
        (case.cell("menages", "", "R1"), EXACT, 5, 5),
        (case.cell("menages", "", "R2"), EXACT, 20, 20),
    ]
    unbounded = make_case(
        {"I1": ("iris", ["r1", "r2", "r3"]), **{f"R{k}": ("residence", [f"r{k}"]) for k in (1, 2, 3)}},
        counts_frame({f"r{k}": {("menages", ""): v} for k, v in enumerate([5, 20, 30], 1)}),
        "occupation", {}, population=set(),
    )
    assert audit(unbounded.table, withheld, RULES.protection, RULES.threshold).ok
    assert brute_force_disclosed(unbounded.table, withheld) == set()
    assert brute_force_disclosed(case.table, withheld) == {
        case.cell("menages", "", "R1"), case.cell("menages", "", "R2")
    }


CASES: dict[str, Callable[[], tuple[Case, Expected]]] = {
    f.__name__: f
    for f in (
        single_child, two_small_children, full_share_and_complement, qpv_across_two_iris,
        residence_in_published_iris, dwelling_counts_pin_a_residence,
    )
}


@pytest.mark.parametrize("name", CASES)
def test_audit_catches_the_naive_suppression(name: str) -> None:
    case, expected = CASES[name]()
    report = audit(case.table, case.naive(), RULES.protection, RULES.threshold)
    assert not report.ok
    got = {
        (int(c), k): (lo, hi)
        for c, k, lo, hi in zip(report.disclosures["cell"], report.disclosures["kind"],
                                report.disclosures["lower"], report.disclosures["upper"], strict=True)
    }
    want = {(case.cell(*who), kind): (lo, hi) for who, kind, lo, hi in expected}
    assert set(got) == set(want)
    for key, (lo, hi) in want.items():
        assert got[key] == pytest.approx((lo, hi), abs=1e-6), key


@pytest.mark.parametrize("name", CASES)
def test_brute_force_agrees_with_the_audit_on_the_naive_pattern(name: str) -> None:
    case, expected = CASES[name]()
    interval_kinds = {case.cell(*who) for who, kind, _, _ in expected if kind != GROUP}
    assert brute_force_disclosed(case.table, case.naive(), RULES.protection) == interval_kinds


@pytest.mark.parametrize("name", CASES)
def test_protect_leaves_nothing_to_recover(name: str) -> None:
    case, _ = CASES[name]()
    result = protect(case.table, RULES.protection, RULES.threshold)
    again = audit(case.table, result.withheld, RULES.protection, RULES.threshold)
    assert result.audit.ok and again.ok, again.disclosures
    assert brute_force_disclosed(case.table, result.withheld, RULES.protection) == set()
    assert result.secondary_cells >= 1  # every case needs at least one secondary


@pytest.mark.parametrize("name", CASES)
def test_published_cells_obey_rules_one_to_four(name: str) -> None:
    case, _ = CASES[name]()
    result = protect(case.table, RULES.protection, RULES.threshold)
    n = case.n_real
    status = result.status[:n]
    assert set(status) <= VALID_STATUSES
    assert (result.status[n:] == "").all()
    # Status and withheld mask say the same thing; primaries stay withheld with their reason.
    np.testing.assert_array_equal(status != "published", result.withheld[:n])
    primary = case.table.primary[:n] != ""
    np.testing.assert_array_equal(status[primary], case.table.primary[:n][primary])
    cells = case.cells.assign(status=status)
    shown = cells[cells["status"] == "published"]
    counts = shown[shown["category"] == ""]
    shares = shown[shown["category"] != ""]
    assert (counts["count"] >= RULES.threshold).all()
    assert (shares["base"] >= RULES.threshold).all()
    survey = shares[shares["indicator"] != "reponse"]  # the response rate is exempt from rule 3
    assert ((survey["count"] > 0) & (survey["count"] < survey["base"])).all()


def test_public_counts_never_protect_anything() -> None:
    """A known cell (RPLS dwellings of an address) is public whatever its display status: the
    attacker reads it, so withholding it hides nothing and ``protect`` never picks it.
    Parent 40 = a + b + c = 5 + 20 + 15 with a primary and b public: withholding b too still
    gives a = 40 - 20 - 15 = 5."""
    values = np.array([40, 5, 20, 15])
    a = constraint_rows([0], [[1, 2, 3]], 4)
    table = CellTable(values, a, np.array(["", "below_threshold", "", ""], dtype=object),
                      known=np.array([False, False, True, False]))
    withheld = np.array([False, True, True, False])
    found = audit(table, withheld).disclosures
    assert list(zip(found["cell"], found["kind"], found["lower"], found["upper"], strict=True)) == [
        (1, EXACT, 5, 5)
    ]
    assert brute_force_disclosed(table, withheld) == {1}
    result = protect(table)
    assert not result.withheld[2]
    assert result.withheld[1] and result.withheld[[0, 3]].any()
    assert audit(table, result.withheld).ok


def test_ceiling_spares_a_share_near_its_base_and_nothing_else() -> None:
    """Area A: 12 households, all alone (a0 = 0 couples, a1 = 12 alone, both withheld); area B:
    20 households, 8 couples / 12 alone (withheld); bases and totals published. The attacker gets
    a1 in [4, 12]: it cannot tell A is 100 % alone, and a1 cannot exceed its published base, so
    asking it to reach 15 would only force the base out. b0 in [0, 8] and b1 in [12, 20] are
    still pinned (b0 cannot rise since a0 cannot fall)."""
    values = [12, 0, 12, 20, 8, 12, 32, 8, 24]  # B1 a0 a1 B2 b0 b1 T t0 t1
    a = constraint_rows([0, 3, 6, 7, 8], [[1, 2], [4, 5], [0, 3], [1, 4], [2, 5]], n=9)
    withheld = np.zeros(9, dtype=bool)
    withheld[[1, 2, 4, 5]] = True
    ceiling = np.array([np.inf, 12, 12, np.inf, 20, 20, np.inf, np.inf, np.inf])
    with_ceiling = CellTable(values=values, constraints=a, primary=[""] * 9, ceiling=ceiling)
    without = CellTable(values=values, constraints=a, primary=[""] * 9)
    got = set(audit(with_ceiling, withheld, RULES.protection, RULES.threshold).disclosures["cell"])
    assert got == {4, 5} == brute_force_disclosed(with_ceiling, withheld, RULES.protection)
    got = set(audit(without, withheld, RULES.protection, RULES.threshold).disclosures["cell"])
    assert got == {2, 4, 5} == brute_force_disclosed(without, withheld, RULES.protection)


@pytest.mark.parametrize("whole", [True, False], ids=["composante", "voisinages"])
@pytest.mark.parametrize("name", CASES)
def test_patterns_certify_only_what_the_attacker_cannot_narrow(
    name: str, whole: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every amount a protection pattern certifies holds against the exact (scipy) intervals:
    the pass that lets the engine skip most audit rounds is sound on its own, whether patterns
    are sought on whole components or on neighbourhoods."""
    for limit in ("COMPONENT_CELLS", "COMPONENT_ALWAYS"):
        monkeypatch.setattr(sys.modules[PatternSolver.__module__], limit, 10**9 if whole else 0)
    case, _ = CASES[name]()
    table = case.table
    solver = PatternSolver(table, table.initial_withheld(), RULES.protection)
    targets = np.flatnonzero(solver.w & ~table.virtual & ~table.known)
    solver.protect_all(targets)
    assert solver._exact.any() == whole
    intervals = brute_force_intervals(table, solver.w)
    checked = 0
    for c, (lo, hi) in intervals.items():
        v = float(table.values[c])
        assert lo <= v - solver.got_down[c] + 1e-6 and hi >= v + solver.got_up[c] - 1e-6, c
        checked += solver.got_up[c] > 0 or solver.got_down[c] > 0
    assert checked > 0


def test_pattern_moves_only_cells_with_room_that_way() -> None:
    """The pattern programme leaves out the columns that cannot move (a zero cannot fall, a
    public count not at all): a pattern still adds up, never takes a cell below zero, and a
    move with no room is refused rather than forced."""
    # total (published) = a + b + c; a = 0, b = 5 withheld, c = 4 published; b + d = 9 (public).
    values = np.array([9, 0, 5, 4, 4, 9])
    a = constraint_rows([0, 5], [[1, 2, 3], [2, 4]], n=6)
    known = np.array([False, False, False, False, False, True])
    table = CellTable(values, a, np.array(["", "extreme_share", "below_threshold", "", "", ""], dtype=object),
                      known=known)
    solver = PatternSolver(table, table.initial_withheld(), RULES.protection)
    cells, y = solver.solve(1, 1.0)  # the zero rises: something else falls
    move = np.zeros(table.n)
    move[cells] = y
    assert move[1] == RULES.protection
    assert not (table.constraints @ move).any()
    assert (table.values + move >= 0).all() and move[5] == 0
    assert solver.solve(1, -1.0) is None  # a zero has nowhere to fall


def test_a_pattern_lifts_the_other_targets_that_withheld_cells_let_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A round's pattern is paid for moving the other targets still short their way: where
    withheld cells alone carry them (here the 8 the pattern already moves), one programme
    certifies them too, soundly; unpaid, each target needs its own."""
    # total (published) = a + b + c + d: a = b = 0 and c = 8 withheld, d = 20 published.
    values = np.array([28, 0, 0, 8, 20])
    a = constraint_rows([0], [[1, 2, 3, 4]], n=5)
    primary = np.array(["", "extreme_share", "extreme_share", "below_threshold", ""], dtype=object)
    table = CellTable(values, a, primary)
    module = sys.modules[PatternSolver.__module__]
    for reward, solves in ((module.TARGET_REWARD, 1), (0.0, 2)):
        monkeypatch.setattr(module, "TARGET_REWARD", reward)
        solver = PatternSolver(table, table.initial_withheld(), RULES.protection)
        added, unsolved = solver.protect_all(np.array([1, 2]))
        assert (added, unsolved, solver.solves) == ([], [], solves)
        assert solver.got_up[1] >= RULES.protection and solver.got_up[2] >= RULES.protection
        intervals = brute_force_intervals(table, solver.w)
        for c, (lo, hi) in intervals.items():
            assert lo <= values[c] - solver.got_down[c] + 1e-6 and hi >= values[c] + solver.got_up[c] - 1e-6, c
        assert not solver.wanted_up.any() and not solver.wanted_down.any()  # the round is over


def two_communes() -> Case:
    """EPCI E = communes C1 (IRIS I1, I2) and C2 (IRIS I3), two résidences per IRIS, households
    by composition; small résidences make primaries whose patterns can stay in their commune."""
    res = {"I1": ["r1", "r2"], "I2": ["r3", "r4"], "I3": ["r5", "r6"]}
    areas = {
        "E": ("epci", [r for rs in res.values() for r in rs]),
        "C1": ("commune", res["I1"] + res["I2"]),
        "C2": ("commune", res["I3"]),
        **{i: ("iris", rs) for i, rs in res.items()},
        **{r.upper(): ("residence", [r]) for rs in res.values() for r in rs},
    }
    sizes = {"r1": (30, 4), "r2": (25, 12), "r3": (8, 3), "r4": (40, 15), "r5": (35, 9), "r6": (6, 2)}
    per_atom = counts_frame({r: occupation(n, alone) for r, (n, alone) in sizes.items()})
    return make_case(areas, per_atom, "occupation", OCC_BASES, population={"menages"})


def test_region_patterns_stay_in_their_commune_and_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A résidence's or an IRIS's region is its commune (a commune has none: the EPCI holds
    everything); patterns sought there first move nothing outside it, and every amount they
    certify holds against the exact (scipy) intervals."""
    case = two_communes()
    table, layout = case.table, case.table.layout
    for who, region in (("R1", "C1"), ("I2", "C1"), ("R5", "C2"), ("C1", None), ("E", None)):
        got = layout.region(layout.area_of(case.cell("menages", "", who)))
        assert (None if got < 0 else case.cells["area_id"].unique()[got]) == region, who
    for limit in ("COMPONENT_CELLS", "COMPONENT_ALWAYS"):
        monkeypatch.setattr(sys.modules[PatternSolver.__module__], limit, 10**9)
    monkeypatch.setattr(sys.modules[PatternSolver.__module__], "REGION_SHARE", 1.0)
    solver = PatternSolver(table, table.initial_withheld(), RULES.protection)
    c1 = set(layout.cells_within(case.cells["area_id"].unique().tolist().index("C1")).tolist())
    targets = np.flatnonzero(solver.w & ~table.virtual & ~table.known)
    solver.choose_components(targets)
    k = case.cell("composition", "SEUL", "R3")
    cells, y = solver.solve(k, 1.0)
    assert solver.in_region == 1 and set(cells.tolist()) <= c1 and k in cells
    solver.protect_all(targets)
    intervals = brute_force_intervals(table, solver.w)
    for c, (lo, hi) in intervals.items():
        v = float(table.values[c])
        assert lo <= v - solver.got_down[c] + 1e-6 and hi >= v + solver.got_up[c] - 1e-6, c
