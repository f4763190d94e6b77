"""Seeded synthetic tables for the peer benchmark of the secrecy engine (docs: peers.md).

Geography Total > EPCI > commune > IRIS (many communes hold a single IRIS), six household
categories. Two views of the same counts:

- the *full* table as τ-Argus wants it (every area, single-IRIS IRIS included, every
  subtotal supplied): ``full_table``;
- our engine's ``CellTable``, where a single-IRIS commune and its IRIS are ONE cell (they are
  the same households; two cells would create false singletons): ``engine_table``.

``withheld_on_engine`` maps a peer's withheld (region, category) cells onto the engine's cells
so that our audit can judge any tool's output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from workbench.secrecy import CellTable

CATEGORIES = ["cat1", "cat2", "cat3", "cat4", "cat5", "cat6"]
TOTAL = "Total"
COLUMNS = [*CATEGORIES, TOTAL]
THRESHOLD = 11


@dataclass(frozen=True)
class CaseSize:
    epci: int
    communes: int
    iris: int
    households: int  # order of magnitude targeted (peers.md)


SIZES: dict[str, CaseSize] = {
    "small": CaseSize(epci=3, communes=95, iris=500, households=62_096),
    "medium": CaseSize(epci=125, communes=3_500, iris=5_000, households=318_604),
    "large": CaseSize(epci=1_250, communes=35_000, iris=50_000, households=3_153_233),
}


@dataclass
class PeerCase:
    """One synthetic case: the geography (one row per IRIS) and the IRIS x category counts."""

    name: str
    hierarchy: pd.DataFrame  # iris, commune, epci
    inner: pd.DataFrame  # iris, category, count (zeros included)


def generate(name: str, seed: int = 2026) -> PeerCase:
    """Deterministic case ``name`` (small, medium, large): same seed, same table."""
    size = SIZES[name]
    rng = np.random.default_rng(seed)
    # Every EPCI gets a commune, every commune an IRIS; the extra IRIS go to a few big
    # communes (heavy-tailed weights, as Lille or Roubaix hold dozens of IRIS), capped as real
    # cities are (Lille ~110 IRIS, Paris ~990).
    commune_epci = np.concatenate(
        [np.arange(size.epci), rng.integers(0, size.epci, size.communes - size.epci)]
    )
    n_extra = size.iris - size.communes
    cap = max(110, size.iris // 50) / n_extra
    p = rng.pareto(1.2, size.communes) + 1e-3
    for _ in range(20):
        p = np.minimum(p / p.sum(), cap)
    extra = rng.choice(size.communes, n_extra, p=p / p.sum())
    iris_commune = np.sort(np.concatenate([np.arange(size.communes), extra]))
    hierarchy = pd.DataFrame(
        {
            "iris": [f"I{i:06d}" for i in range(size.iris)],
            "commune": [f"M{c:05d}" for c in iris_commune],
            "epci": [f"E{commune_epci[c]:04d}" for c in iris_commune],
        }
    )
    # Households per IRIS (log-normal) shared among categories (Dirichlet: many empty or
    # small cells, as in the real stock).
    mean = size.households / size.iris
    sigma = 1.0
    households = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size.iris).round().astype(int)
    shares = rng.dirichlet(np.full(len(CATEGORIES), 0.8), size.iris)
    counts = rng.multinomial(households, shares)
    inner = pd.DataFrame(
        {
            "iris": np.repeat(hierarchy["iris"].to_numpy(), len(CATEGORIES)),
            "category": np.tile(CATEGORIES, size.iris),
            "count": counts.ravel().astype(np.int64),
        }
    )
    return PeerCase(name=name, hierarchy=hierarchy, inner=inner)


def _areas(case: PeerCase, merge_single: bool) -> pd.DataFrame:
    """Areas top-down: region code, level, parent code, and the IRIS codes each one holds."""
    h = case.hierarchy
    n_iris = h.groupby("commune")["iris"].transform("size")
    rows = [pd.DataFrame({"region": [TOTAL], "level": ["total"], "parent": [""]})]
    epci = h.drop_duplicates("epci")
    rows.append(pd.DataFrame({"region": epci["epci"], "level": "epci", "parent": TOTAL}))
    com = h.drop_duplicates("commune")
    rows.append(pd.DataFrame({"region": com["commune"], "level": "commune", "parent": com["epci"]}))
    leaves = h[n_iris > 1] if merge_single else h
    rows.append(pd.DataFrame({"region": leaves["iris"], "level": "iris", "parent": leaves["commune"]}))
    return pd.concat(rows, ignore_index=True)


def _area_counts(case: PeerCase, areas: pd.DataFrame) -> np.ndarray:
    """Counts (areas x COLUMNS) summed from the IRIS counts."""
    h = case.hierarchy.set_index("iris")
    wide = case.inner.pivot(index="iris", columns="category", values="count")[CATEGORIES]
    wide = wide.loc[h.index]
    out = np.zeros((len(areas), len(COLUMNS)), dtype=np.int64)
    pos = pd.Index(areas["region"])
    for key in ("iris", "commune", "epci"):
        sums = wide.groupby(h.index if key == "iris" else h[key]).sum()
        found = pos.get_indexer(sums.index)
        keep = found >= 0
        out[found[keep], : len(CATEGORIES)] = sums.to_numpy()[keep]
    out[0, : len(CATEGORIES)] = wide.to_numpy().sum(axis=0)
    out[:, -1] = out[:, : len(CATEGORIES)].sum(axis=1)
    return out


def full_table(case: PeerCase) -> pd.DataFrame:
    """Every (region, category) cell with totals, single-IRIS IRIS included (τ-Argus input)."""
    areas = _areas(case, merge_single=False)
    counts = _area_counts(case, areas)
    return pd.DataFrame(
        {
            "region": np.repeat(areas["region"].to_numpy(), len(COLUMNS)),
            "level": np.repeat(areas["level"].to_numpy(), len(COLUMNS)),
            "category": np.tile(COLUMNS, len(areas)),
            "count": counts.ravel(),
        }
    )


def hierarchy_levels(case: PeerCase) -> pd.DataFrame:
    """Regions below the total in depth-first order with their depth (for a .hrc file)."""
    h = case.hierarchy
    rows: list[tuple[str, int]] = []
    for epci, g_e in h.groupby("epci", sort=True):
        rows.append((epci, 1))
        for commune, g_c in g_e.groupby("commune", sort=True):
            rows.append((commune, 2))
            rows.extend((iris, 3) for iris in g_c["iris"])
    return pd.DataFrame(rows, columns=["region", "depth"])


def engine_table(case: PeerCase) -> CellTable:
    """Our engine's table: single-IRIS communes merged with their IRIS, primary = 1..10.

    Constraints: every total = sum of its categories; every parent = sum of its children
    (same column). Labels (region, level, category, alias) say who each cell is; ``alias``
    is the IRIS merged into a single-IRIS commune.
    """
    areas = _areas(case, merge_single=True)
    counts = _area_counts(case, areas)
    n_areas, k = len(areas), len(COLUMNS)
    cell = np.arange(n_areas * k).reshape(n_areas, k)
    rows, cols, vals = [], [], []
    # Category constraints: total column = sum of the categories, one row per area.
    tot = cell[:, -1]
    parts = cell[:, :-1]
    row_ids = np.arange(n_areas)
    rows += [row_ids, np.repeat(row_ids, k - 1)]
    cols += [tot, parts.ravel()]
    vals += [np.full(n_areas, -1), np.ones(parts.size)]
    r = n_areas
    # Geographic constraints: parent = sum of children, one row per (parent, column).
    pos = pd.Index(areas["region"])
    child = np.flatnonzero(areas["parent"].to_numpy() != "")
    parent = pos.get_indexer(areas["parent"].to_numpy()[child])
    parents, parent_row = np.unique(parent, return_inverse=True)
    for j in range(k):
        base = r + j * len(parents)
        rows += [base + np.arange(len(parents)), base + parent_row]
        cols += [cell[parents, j], cell[child, j]]
        vals += [np.full(len(parents), -1), np.ones(len(child))]
    r += k * len(parents)
    a = sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r, n_areas * k),
        dtype=np.int8,
    )
    values = counts.ravel()
    primary = np.where((values >= 1) & (values < THRESHOLD), "below_threshold", "").astype(object)
    h = case.hierarchy
    single = h[h.groupby("commune")["iris"].transform("size") == 1].set_index("commune")["iris"]
    alias = areas["region"].map(single).fillna("").to_numpy()
    labels = pd.DataFrame(
        {
            "region": np.repeat(areas["region"].to_numpy(), k),
            "level": np.repeat(areas["level"].to_numpy(), k),
            "category": np.tile(COLUMNS, n_areas),
            "alias": np.repeat(alias, k),
        }
    )
    return CellTable(values=values, constraints=a, primary=primary, labels=labels)


def withheld_on_engine(table: CellTable, withheld: pd.DataFrame) -> np.ndarray:
    """Engine mask from a peer's withheld (region, category) pairs.

    A merged single-IRIS cell is withheld only when the peer withholds it under both names:
    if either the commune or its IRIS is published, the attacker reads the value there.
    """
    labels = table.labels
    keys = set(zip(withheld["region"], withheld["category"], strict=True))
    own = np.fromiter(
        ((r, c) in keys for r, c in zip(labels["region"], labels["category"], strict=True)),
        dtype=bool,
        count=len(labels),
    )
    alias = np.fromiter(
        (a == "" or (a, c) in keys for a, c in zip(labels["alias"], labels["category"], strict=True)),
        dtype=bool,
        count=len(labels),
    )
    return own & alias
