"""Fictional SNE attributions: one row per lease signed during year V-1 (vintage V).

Resource quartiles follow the household's poverty score with a commune effect, so that some
communes meet the 25 % first-quartile target outside QPV and others miss it.
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from workbench.demo.tenancy import Tenancy

# RPLS reservation contingent -> SNE réservataire.
RESERVATAIRE_OF = {"1": "ETAT", "2": "ETAT", "3": "ACTION_LOGEMENT", "4": "COLLECTIVITES",
                   "5": "AUTRE", "6": "AUTRE", "7": "BAILLEUR"}
RECORDED = 0.96  # share of new leases found in the SNE extract
ADDRESS_ONLY = 0.06  # share of rows without the RPLS identifier


def commune_effects(communes: list[str], rng: np.random.Generator) -> dict[str, float]:
    """A lasting commune policy effect on the first-quartile share."""
    return {c: float(rng.normal(0, 0.35)) for c in sorted(communes)}


def attributions(state: Tenancy, dw: pd.DataFrame, res: pd.DataFrame,
                 effects: dict[str, float], rng: np.random.Generator, prefix: str = ""
                 ) -> pd.DataFrame:
    """The SNE extract of vintage ``state.vintage`` (leases signed during the year before)."""
    year = state.vintage - 1
    idx = np.flatnonzero(state.new_leases())
    idx = idx[rng.random(len(idx)) < RECORDED]
    r = dw.res.to_numpy()[idx]
    n = len(idx)
    z = state.households["z"][idx].astype(float)
    depcom = res.depcom.to_numpy()[r]
    in_qpv = res.code_qp.to_numpy()[r] != ""
    score = z + rng.normal(0, 0.8, n) + pd.Series(depcom).map(effects).to_numpy()
    quartile = np.select([score > 1.1, score > 0.3, score > -0.5], ["1", "2", "3"], "4")
    reserv = pd.Series(dw.CONTRESLOG.to_numpy()[idx]).map(RESERVATAIRE_OF).to_numpy()
    p_prio = np.where(reserv == "ETAT", 0.55, 0.18) + 0.05 * (z > 1)
    u = rng.random(n)
    priorite = np.where(u < 0.04, "DALO", np.where(u < p_prio, "PRIORITAIRE", "NON"))
    anru = state.anru[idx] | (rng.random(n) < 0.01)
    month = state.bail_m[idx]
    days = np.array([calendar.monthrange(year, m)[1] for m in range(1, 13)])[month - 1]
    day = 1 + (rng.random(n) * days).astype(int)
    no_id = rng.random(n) < ADDRESS_ONLY
    numvoie = res.numvoie.to_numpy()[r]
    adresse = (numvoie + " " + res.typvoie.to_numpy()[r] + " " + res.nomvoie.to_numpy()[r]
               + " " + res.codepostal.to_numpy()[r] + " " + res.libcom.to_numpy()[r])
    df = pd.DataFrame({
        "DATE_BAIL": pd.to_datetime({"year": year, "month": month, "day": day}),
        "IDENT_REP": np.where(no_id, "", dw.IDENT_REP.to_numpy()[idx]),
        "ADRESSE": np.where(no_id, adresse, ""),
        "DEPCOM": depcom,
        "BAILLEUR": res.bailleur.to_numpy()[r],
        "EN_QPV": np.where(in_qpv, "O", "N"),
        "QUARTILE": quartile,
        "PRIORITE": priorite,
        "RESERVATAIRE": reserv,
        "RELOGEMENT_ANRU": np.where(anru, "O", "N"),
    }).sort_values(["DATE_BAIL", "DEPCOM"], kind="stable").reset_index(drop=True)
    df.insert(0, "ID_ATTRIBUTION", [f"SNE{year}{prefix}{k:07d}" for k in range(1, len(df) + 1)])
    df["DATE_BAIL"] = df.DATE_BAIL.dt.strftime("%d/%m/%Y")
    return df
