"""Who lives where at each 1 January: leases, turnover, vacancy and demolition across vintages.

The same dwellings persist from one vintage to the next; about 7 % of tenants leave each year,
their dwelling is re-let after a short vacancy (longer in fragile résidences), and each new
lease signed during year V-1 becomes one SNE attribution of vintage V.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.demo.households import HOUSEHOLD_COLUMNS, draw_households

RENTED = (1, 5)  # MODE codes with a household in place (loué, occupé)
LEAVE_RATE = 0.05


@dataclass
class Tenancy:
    """Per-dwelling state at one 1 January (arrays aligned on the dwelling table)."""

    vintage: int
    active: np.ndarray
    mode: np.ndarray
    dureevac: np.ndarray  # months, -1 when not vacant
    bail_y: np.ndarray  # 0 when no lease
    bail_m: np.ndarray
    anru: np.ndarray  # household relocated from an urban-renewal demolition
    households: dict[str, np.ndarray] = field(default_factory=dict)

    def rented(self) -> np.ndarray:
        return self.active & np.isin(self.mode, RENTED)

    def new_leases(self) -> np.ndarray:
        """Dwellings whose current lease was signed during the previous calendar year."""
        return self.rented() & (self.bail_y == self.vintage - 1)


def _settle(state: Tenancy, idx: np.ndarray, frag: np.ndarray, homog: np.ndarray,
            rng: np.random.Generator, shift: float = 0.0) -> None:
    """Put freshly drawn households in dwellings ``idx``."""
    if len(idx) == 0:
        return
    hh = draw_households(frag[idx] + shift, homog[idx], rng)
    for col in HOUSEHOLD_COLUMNS:
        state.households[col][idx] = hh[col].to_numpy()


def _clear(state: Tenancy, idx: np.ndarray) -> None:
    for col in HOUSEHOLD_COLUMNS:
        state.households[col][idx] = None
    state.bail_y[idx] = 0
    state.bail_m[idx] = 0
    state.anru[idx] = False


def initial(dw: pd.DataFrame, res: pd.DataFrame, vintage: int,
            rng: np.random.Generator) -> Tenancy:
    """The state at the first vintage, with plausible lease seniorities."""
    r = dw.res.to_numpy()
    n = len(dw)
    first = res.first_vintage.to_numpy()[r]
    last = res.last_vintage.to_numpy()[r]
    risk = res.vacancy_risk.to_numpy()[r]
    locat = res.locat.to_numpy()[r]
    active = (first <= vintage) & (last >= vintage)
    u = rng.random(n)
    p2 = 0.022 * risk
    mode = np.select([u < p2, u < p2 + 0.008, u < p2 + 0.012, u < p2 + 0.014], [2, 3, 4, 5], 1)
    dureevac = np.where(mode == 2, np.minimum(rng.geometric(np.clip(0.3 / risk, 0.03, 0.9)), 600),
                        np.where(mode == 3, rng.integers(6, 60, n), -1))
    recent = (rng.random(n) < 0.068) | (locat >= vintage - 1)
    older = vintage - 2 - np.floor(rng.exponential(8.0, n)).astype(int)
    bail_y = np.where(recent, vintage - 1, np.maximum(older, np.minimum(locat, vintage - 2)))
    leased = np.isin(mode, (1, 4, 5))
    state = Tenancy(
        vintage=vintage, active=active, mode=mode, dureevac=dureevac,
        bail_y=np.where(leased, bail_y, 0), bail_m=np.where(leased, rng.integers(1, 13, n), 0),
        anru=np.zeros(n, dtype=bool),
        households={c: np.full(n, None, dtype=object) for c in HOUSEHOLD_COLUMNS},
    )
    idx = np.flatnonzero(np.isin(mode, RENTED))
    _settle(state, idx, res.frag.to_numpy()[r], res.homog.to_numpy()[r], rng)
    return state


def advance(prev: Tenancy, dw: pd.DataFrame, res: pd.DataFrame,
            rng: np.random.Generator) -> Tenancy:
    """The state one year later: departures, re-lettings, new résidences, demolitions."""
    v = prev.vintage + 1
    r = dw.res.to_numpy()
    n = len(dw)
    first = res.first_vintage.to_numpy()[r]
    last = res.last_vintage.to_numpy()[r]
    risk = res.vacancy_risk.to_numpy()[r]
    frag = res.frag.to_numpy()[r]
    homog = res.homog.to_numpy()[r]
    in_qpv = (res.code_qp.to_numpy() != "")[r]
    s = Tenancy(
        vintage=v, active=(first <= v) & (last >= v), mode=prev.mode.copy(),
        dureevac=prev.dureevac.copy(), bail_y=prev.bail_y.copy(), bail_m=prev.bail_m.copy(),
        anru=np.zeros(n, dtype=bool), households={c: a.copy() for c, a in prev.households.items()},
    )
    age = s.households["AGE_TITULAIRE"]
    has = age != None  # noqa: E711 - element-wise test on an object array
    age[has] = age[has] + 1
    cont = prev.active & s.active
    relet = np.zeros(n, dtype=bool)
    relet_month = np.zeros(n, dtype=int)
    # Tenants leaving during year v-1.
    p_leave = LEAVE_RATE * (1 + 0.25 * in_qpv) * np.where(dw.NBPIECE.to_numpy() <= 2, 1.3, 1.0)
    leave = cont & np.isin(prev.mode, RENTED) & (rng.random(n) < p_leave)
    dep = rng.integers(1, 13, n)
    gap = rng.geometric(np.clip(0.3 / risk, 0.04, 0.8)) - 1
    back = leave & (dep + gap <= 12)
    relet |= back
    relet_month = np.where(back, np.maximum(dep + gap, 1), relet_month)
    still = leave & ~back
    _clear(s, np.flatnonzero(leave))
    s.mode[still] = np.where(rng.random(still.sum()) < 0.1, 3, 2)
    s.dureevac[still] = 13 - dep[still]
    # Dwellings vacant at the previous 1 January.
    vac = cont & np.isin(prev.mode, (2, 3))
    p_relet = np.where(prev.mode == 2, np.clip(0.6 / risk, 0.1, 0.9), 0.4)
    taken = vac & (rng.random(n) < p_relet)
    relet |= taken
    relet_month = np.where(taken, rng.integers(1, 13, n), relet_month)
    stay_vac = vac & ~taken
    s.dureevac[stay_vac] = np.minimum(prev.dureevac[stay_vac] + 12, 600)
    # New résidences: let during year v-1, a few still vacant at 1 January.
    new = s.active & ~prev.active & (first == v)
    first_let = new & (rng.random(n) < 0.97)
    relet |= first_let
    relet_month = np.where(first_let, rng.integers(1, 13, n), relet_month)
    s.mode[new & ~first_let] = 2
    s.dureevac[new & ~first_let] = rng.integers(1, 7, n)[new & ~first_let]
    # Résidences emptied for demolition: every household rehoused elsewhere during v-1.
    emptied = s.active & (last == v) & (first < v)
    moved = emptied & np.isin(prev.mode, RENTED)
    movers = {c: a[moved] for c, a in prev.households.items()}
    _clear(s, np.flatnonzero(emptied))
    s.mode[emptied] = 3
    s.dureevac[emptied] = rng.integers(3, 12, n)[emptied]
    relet &= ~emptied
    # Apply the new leases.
    idx = np.flatnonzero(relet)
    s.mode[idx] = np.where(rng.random(len(idx)) < 0.01, 5, 1)
    s.dureevac[idx] = -1
    s.bail_y[idx] = v - 1
    s.bail_m[idx] = relet_month[idx]
    _settle(s, idx, frag, homog, rng, shift=0.15)
    # Rehoused households take some of the new leases, preferably outside the QPV.
    n_moved = int(moved.sum())
    if n_moved:
        pool = idx[np.argsort(in_qpv[idx] + rng.random(len(idx)), kind="stable")][:n_moved]
        for c in HOUSEHOLD_COLUMNS:
            s.households[c][pool] = movers[c][: len(pool)]
        s.anru[pool] = True
    s.mode[~s.active] = 0
    return s
