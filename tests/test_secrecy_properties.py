"""Property tests: random geographies (EPCI > communes > IRIS > résidences, a QPV across them).

Résidences are published or not (then the IRIS ∩ QPV pieces are virtual); public dwelling
counts (often equal to the households) bound the cells or not.
Counts are mostly small so that many cells are primary. On ``protect``'s output the audit must
find nothing and the published cells must obey rules 1-4; on tiny tables the audit's verdict
must equal an exact brute force with scipy ``linprog``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secrecy_cases import (
    RULES,
    VALID_STATUSES,
    Case,
    brute_force_disclosed,
    brute_force_small_groups,
    make_case,
)

from workbench.secrecy import audit, protect
from workbench.secrecy.audit import GROUP

PROFILE = settings(
    max_examples=50, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BASES = {"composition": ("menages", "")}
SMALL_OR_NOT = st.one_of(st.integers(0, 12), st.integers(0, 12), st.integers(0, 60))


@st.composite
def geographies(draw: st.DrawFn, max_residences: int = 14, shares: bool = True) -> Case:
    """A random EPCI with a QPV over some résidences of several IRIS and communes."""
    n_communes = draw(st.integers(1, 3))
    areas: dict[str, tuple[str, list[str]]] = {}
    commune_of: dict[str, str] = {}
    residences: list[str] = []
    for c in range(n_communes):
        for i in range(draw(st.integers(1, 3))):
            iris = f"C{c}I{i}"
            atoms = [f"{iris}R{r}" for r in range(draw(st.integers(1, 3)))]
            atoms = atoms[: max(0, max_residences - len(residences))]
            if not atoms:
                break
            areas[iris] = ("iris", atoms)
            residences += atoms
            commune_of |= {a: f"C{c}" for a in atoms}
    communes = sorted(set(commune_of.values()))
    for c in communes:
        areas[c] = ("commune", [a for a in residences if commune_of[a] == c])
    areas["E"] = ("epci", list(residences))
    in_qpv = draw(st.lists(st.booleans(), min_size=len(residences), max_size=len(residences)))
    qpv = [a for a, q in zip(residences, in_qpv, strict=True) if q]
    if qpv:
        areas["Q"] = ("qpv", qpv)
        for c in sorted({commune_of[a] for a in qpv}):
            rest = [a for a in residences if commune_of[a] == c and a not in qpv]
            if rest:
                areas[f"{c}H"] = ("commune_hors_qpv", rest)
    if draw(st.booleans()):  # résidences published; otherwise IRIS ∩ QPV pieces are virtual
        areas |= {f"R{a}": ("residence", [a]) for a in residences}
    households = draw(st.lists(SMALL_OR_NOT, min_size=len(residences), max_size=len(residences)))
    data = {}
    for a, h in zip(residences, households, strict=True):
        row = {("menages", ""): h}
        if shares:
            alone = draw(st.integers(0, h))
            row |= {("composition", "SEUL"): alone, ("composition", "COUPLE"): h - alone}
        data[a] = row
    per_atom = pd.DataFrame.from_dict(data, orient="index")
    per_atom.columns = pd.MultiIndex.from_tuples(per_atom.columns)
    upper = None
    if draw(st.booleans()):  # public dwelling counts, often full: tight upper bounds
        vacant = draw(st.lists(st.sampled_from([0, 0, 1, 4]), min_size=len(residences), max_size=len(residences)))
        upper = {a: h + v for a, h, v in zip(residences, households, vacant, strict=True)}
    return make_case(areas, per_atom, "occupation", BASES if shares else {}, atom_upper=upper)


@PROFILE
@given(geographies())
def test_protect_output_passes_the_audit_and_rules(case: Case) -> None:
    result = protect(case.table, RULES.protection, RULES.threshold)
    report = audit(case.table, result.withheld, RULES.protection, RULES.threshold)
    assert report.ok, report.disclosures
    n = case.n_real
    status = result.status[:n]
    assert set(status) <= VALID_STATUSES
    assert (result.status[n:] == "").all()
    np.testing.assert_array_equal(status != "published", result.withheld[:n])
    primary = case.table.primary[:n] != ""
    np.testing.assert_array_equal(status[primary], case.table.primary[:n][primary])
    shown = case.cells[status == "published"]
    counts, shares = shown[shown["category"] == ""], shown[shown["category"] != ""]
    assert (counts["count"] >= RULES.threshold).all()
    assert (shares["base"] >= RULES.threshold).all()
    assert ((shares["count"] > 0) & (shares["count"] < shares["base"])).all()


@PROFILE
@given(geographies(max_residences=6, shares=False), st.data())
def test_audit_agrees_with_brute_force_on_tiny_tables(case: Case, data: st.DataObject) -> None:
    """Any withheld set of at most 8 real cells: same cells flagged (exact or interval); a
    population sum under the threshold that linprog derives exactly is reported too (as a
    group, or as the exact total it sits under)."""
    n = case.n_real
    chosen = data.draw(st.lists(st.integers(0, n - 1), max_size=min(8, n), unique=True))
    withheld = case.table.virtual.copy()
    withheld[chosen] = True
    report = audit(case.table, withheld, RULES.protection, RULES.threshold)
    flagged = set(report.disclosures.loc[report.disclosures["kind"] != GROUP, "cell"].astype(int))
    assert flagged == brute_force_disclosed(case.table, withheld, RULES.protection)
    groups = brute_force_small_groups(case.table, withheld, RULES.threshold)
    reported_groups = (report.disclosures["kind"] == GROUP).any()
    assert reported_groups <= bool(groups)  # every group the audit reports is real
    if groups:
        assert not report.ok
