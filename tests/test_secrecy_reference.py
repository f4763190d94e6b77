"""Published reference cases (sdcTable, τ-Argus): known traps caught, known answers matched.

Expected results are those restated in /work/shared/reference_cases/README.md; the files are
copied in tests/data/reference_cases/ (PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from secrecy_cases import brute_force_disclosed, brute_force_intervals

from workbench.secrecy import CellTable, audit, constraint_rows, protect
from workbench.secrecy.audit import EXACT, INTERVAL

DATA = Path(__file__).parent / "data" / "reference_cases"


def two_way(values: dict[tuple[str, str], int], rows: list[str], cols: list[str]) -> tuple[
    list[tuple[str, str]], list[int], list[list[int]]
]:
    """Cells (row, col) incl. "tot" margins, in a fixed order, with their additivity constraints."""
    keys = [(r, c) for r in ["tot", *rows] for c in ["tot", *cols]]
    pos = {k: i for i, k in enumerate(keys)}
    totals, parts = [], []
    for r in ["tot", *rows]:
        totals.append(pos[(r, "tot")])
        parts.append([pos[(r, c)] for c in cols])
    for c in ["tot", *cols]:
        totals.append(pos[("tot", c)])
        parts.append([pos[(r, c)] for r in rows])
    return keys, totals, parts


def table_2d(values: dict[tuple[str, str], int], primary: set[tuple[str, str]], rows, cols):
    keys, totals, parts = two_way(values, rows, cols)
    vals = np.array([values[k] for k in keys])
    prim = np.array(["manual" if k in primary else "" for k in keys], dtype=object)
    return keys, CellTable(vals, constraint_rows(totals, parts, len(keys)), prim)


def disclosed(report) -> dict[int, tuple[str, float, float]]:
    d = report.disclosures
    return {int(c): (k, lo, hi) for c, k, lo, hi in zip(d["cell"], d["kind"], d["lower"], d["upper"], strict=True)}


# --- sdcTable simpleheuristic: the 4x4 differencing trap --------------------------------------


def trap_4x4() -> tuple[list[tuple[str, str]], CellTable]:
    df = pd.read_csv(DATA / "simpleheuristic_4x4.csv")
    values = {(r, c): int(f) for r, c, f in zip(df["v1"], df["v2"], df["freq"], strict=True)}
    primary = {(r, c) for r, c, p in zip(df["v1"], df["v2"], df["primary"], strict=True) if p}
    return table_2d(values, primary, ["w", "x", "y", "z"], ["a", "b", "c", "d"])


def test_4x4_trap_every_line_has_two_withheld_cells_yet_w_b_is_exact() -> None:
    keys, table = trap_4x4()
    naive = table.initial_withheld()
    assert naive.sum() == 9
    a = table.constraints.toarray()
    # The trap: no constraint holds a single withheld cell (simple peeling finds nothing) ...
    assert ((a[:, naive] != 0).sum(axis=1) != 1).all()
    # ... yet the LP attacker pins (w, b) = 47 exactly.
    wb = keys.index(("w", "b"))
    found = disclosed(audit(table, naive))
    assert found[wb] == (EXACT, 47, 47)
    assert wb in brute_force_disclosed(table, naive)
    assert set(found) == brute_force_disclosed(table, naive)


def test_4x4_trap_engine_adds_one_secondary_no_bigger_than_sdctable() -> None:
    """sdcTable's SIMPLEHEURISTIC adds exactly one secondary, (w, d) = 89; ours adds one too,
    of no more units (the cheapest pattern through (w, b) is (x, d) = 31), and (w, b) is free."""
    keys, table = trap_4x4()
    result = protect(table)
    assert audit(table, result.withheld).ok
    assert brute_force_disclosed(table, result.withheld) == set()
    secondary = [keys[i] for i in np.flatnonzero(result.status == "secondary")]
    assert len(secondary) == 1
    assert result.secondary_units <= 89
    lo, hi = brute_force_intervals(table, result.withheld)[keys.index(("w", "b"))]
    assert lo <= 47 - 3 and hi >= 47 + 3


# --- sdcTable microdata1: region x gender, (A, female) primary --------------------------------


def test_microdata1_no_more_units_than_sdctable() -> None:
    """OPT/HYPERCUBE/HITAS suppress {A,C}x{m,f}: 3 secondaries, 178 + 118 + 106 = 402 units.
    Any safe pattern will do, but ours may not withhold more units than that."""
    df = pd.read_csv(DATA / "microdata1.csv")
    inner = df.groupby(["region", "gender"])["val"].sum().astype(int)
    values = {(r, g): int(v) for (r, g), v in inner.items()}
    for r in "ABCD":
        values[(r, "tot")] = values[(r, "male")] + values[(r, "female")]
    for g in ["male", "female", "tot"]:
        values[("tot", g)] = sum(values[(r, g)] for r in "ABCD")
    keys, table = table_2d(values, {("A", "female")}, list("ABCD"), ["male", "female"])
    assert len(keys) == 15 and values[("tot", "tot")] == 1284
    naive = table.initial_withheld()
    assert disclosed(audit(table, naive)) == {keys.index(("A", "female")): (EXACT, 20, 20)}
    result = protect(table)
    assert audit(table, result.withheld).ok
    assert brute_force_disclosed(table, result.withheld) == set()
    assert result.secondary_units <= 402
    assert result.withheld[keys.index(("A", "female"))]


def test_microdata1_without_primary_nothing_is_withheld() -> None:
    df = pd.read_csv(DATA / "microdata1.csv")
    inner = df.groupby(["region", "gender"])["val"].sum().astype(int)
    values = {(r, g): int(v) for (r, g), v in inner.items()}
    for r in "ABCD":
        values[(r, "tot")] = values[(r, "male")] + values[(r, "female")]
    for g in ["male", "female", "tot"]:
        values[("tot", g)] = sum(values[(r, g)] for r in "ABCD")
    _, table = table_2d(values, set(), list("ABCD"), ["male", "female"])
    result = protect(table)
    assert not result.withheld.any() and result.audit.ok


# --- sdcTable linked tables: two non-nested hierarchies over the same regions ---------------


def linked(both: bool) -> tuple[list[str], CellTable]:
    df = pd.read_csv(DATA / "linked_tables_regions.csv")
    regions = list(df["region"])
    names = [*regions, "county-1", "county-2", "BIG", "small", "Total"]
    pos = {n: i for i, n in enumerate(names)}
    n = dict(zip(df["region"], df["n"], strict=True))
    groups = {g: list(df.loc[df["county"] == g, "region"]) for g in ["county-1", "county-2"]}
    groups |= {g: list(df.loc[df["group"] == g, "region"]) for g in ["BIG", "small"]}
    values = [*(n[r] for r in regions), *(sum(n[r] for r in groups[g]) for g in names[8:12])]
    values.append(sum(n.values()))
    totals = [pos["county-1"], pos["county-2"], pos["Total"]]
    parts = [[pos[r] for r in groups["county-1"]], [pos[r] for r in groups["county-2"]],
             [pos["county-1"], pos["county-2"]]]
    if both:
        totals += [pos["BIG"], pos["small"], pos["Total"]]
        parts += [[pos[r] for r in groups["BIG"]], [pos[r] for r in groups["small"]],
                  [pos["BIG"], pos["small"]]]
    primary = np.array(["below_threshold" if (i < 8 and v <= 3) else "" for i, v in enumerate(values)],
                       dtype=object)
    if not both:  # the second hierarchy's areas are not published at all: no constraint binds them
        values, names = values[:10] + [values[12]], names[:10] + ["Total"]
        keep = [*range(10), 12]
        a = constraint_rows(totals, parts, 13)[:, keep]
        return names, CellTable(np.array(values), a, primary[keep])
    return names, CellTable(np.array(values), constraint_rows(totals, parts, 13), primary)


def test_linked_tables_k_exact_only_when_both_hierarchies_are_published() -> None:
    """Primaries A, B, K, L, M (n <= 3). With both hierarchies, K = (county-2 - N) - BIG
    = 16 - 7 - 6 = 3 exactly; A and B (2 each) sit in county-1 with A + B = 4, so each moves in
    [0, 4] (narrower than ±3 around 2). One hierarchy alone leaves K in [0, 9]."""
    names, table = linked(both=True)
    assert [names[i] for i in np.flatnonzero(table.primary != "")] == ["A", "B", "K", "L", "M"]
    found = disclosed(audit(table, table.initial_withheld()))
    assert found == {
        names.index("A"): (INTERVAL, 0, 4),
        names.index("B"): (INTERVAL, 0, 4),
        names.index("K"): (EXACT, 3, 3),
    }
    assert set(found) == brute_force_disclosed(table, table.initial_withheld())
    names1, table1 = linked(both=False)
    found1 = disclosed(audit(table1, table1.initial_withheld()))
    assert names1.index("K") not in found1
    assert set(found1) == {names1.index("A"), names1.index("B")}


@pytest.mark.parametrize("both", [True, False])
def test_linked_tables_engine_output_passes(both: bool) -> None:
    names, table = linked(both)
    result = protect(table)
    assert audit(table, result.withheld).ok
    assert brute_force_disclosed(table, result.withheld) == set()


# --- τ-Argus ex1: region x gender, (A, female) unsafe, MAN(20) -------------------------------


def test_tauargus_ex1_primary_set_and_engine_output() -> None:
    """τ-Argus OPT (checkTauArgus ex1) withholds (A,f) and secondaries (A,m), (C,m), (C,f):
    1950 units. With a 20 % manual range on 137 (±28 units), our output must pass both
    audits and withhold no more units than τ-Argus's optimum."""
    raw = pd.read_csv(DATA / "tabdata_ex1.tab", header=None, names=["r", "g", "freq", "st", "lo", "up"],
                      skipinitialspace=True)
    raw["r"] = raw["r"].str.strip().replace({"Total": "tot"})
    raw["g"] = raw["g"].str.strip().replace({"Total": "tot"})
    values = {(r, g): int(f) for r, g, f in zip(raw["r"], raw["g"], raw["freq"], strict=True)}
    primary = {(r, g) for r, g, s in zip(raw["r"], raw["g"], raw["st"], strict=True) if s.strip() == "U"}
    assert primary == {("A", "female")} and values[("tot", "tot")] == 5146
    keys, table = table_2d(values, primary, list("ABCD"), ["male", "female"])
    protection = 28
    result = protect(table, protection=protection)
    assert audit(table, result.withheld, protection=protection).ok
    assert brute_force_disclosed(table, result.withheld, protection) == set()
    assert result.secondary_units <= 895 + 569 + 486
