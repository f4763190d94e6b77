"""Fictional households with OPS-like attributes and realistic correlations.

One latent poverty score per household (higher in QPV, older stock and fragile résidences)
drives resources, housing allowance, family structure and activity, so that the correlations
an analyst expects show up in the published figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOUSEHOLD_COLUMNS = [
    "SITUATION_FAMILIALE", "NB_OCCUPANTS", "NB_ENFANTS", "AGE_TITULAIRE", "PLAFONDS",
    "ACTIVITE", "APL", "z",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def draw_households(frag: np.ndarray, homog: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Households for dwellings whose résidence has latent fragility ``frag``."""
    n = len(frag)
    z = frag + rng.normal(0, 1.0, n)
    u = z + rng.normal(0, 0.5, n)
    plafonds = np.select(
        [u > 0.95, u > 0.25, u > -0.45, u > -1.6], ["<20", "20-40", "40-60", "60-100"], ">100"
    ).astype(object)
    plafonds[rng.random(n) < 0.03] = "INCONNU"
    apl = np.where(rng.random(n) < _sigmoid(1.1 * z - 0.2), "O", "N").astype(object)
    p_mono = np.clip(0.16 + 0.07 * z, 0.04, 0.45)
    p_cae = np.clip(0.19 + 0.02 * z, 0.08, 0.35)
    p_cse = np.clip(0.14 - 0.03 * z, 0.04, 0.25)
    p_aut = np.full(n, 0.07)
    cum = np.cumsum(np.column_stack([p_mono, p_cae, p_cse, p_aut]), axis=1)
    sit_idx = (rng.random(n)[:, None] > cum).sum(axis=1)
    sit = np.array(["MONOPARENTALE", "COUPLE_AVEC_ENFANTS", "COUPLE_SANS_ENFANT", "AUTRE",
                    "SEUL"], dtype=object)[sit_idx]
    with_children = (sit == "MONOPARENTALE") | (sit == "COUPLE_AVEC_ENFANTS")
    enfants = np.where(with_children, 1 + rng.poisson(0.6 + 0.3 * np.maximum(z, 0)), 0)
    age = np.where(with_children, rng.normal(39, 9, n),
                   np.where(sit == "SEUL", rng.normal(56, 18, n), rng.normal(50, 16, n)))
    adults = np.select([sit == "SEUL", sit == "MONOPARENTALE", sit == "AUTRE"],
                       [1, 1, 2 + rng.poisson(0.4, n)], 2)
    # Seniors' résidences: everyone lives alone, is retired and old.
    senior = homog == "senior"
    sit[senior] = "SEUL"
    enfants[senior] = 0
    adults[senior] = 1
    age[senior] = rng.uniform(75, 94, senior.sum())
    age = np.clip(age, 18, 99).round().astype(int)
    p_chom = _sigmoid(0.9 * z - 1.6)
    a = rng.random(n)
    activite = np.where(a < p_chom, "CHOMAGE",
                        np.where(a < p_chom + 0.15, "EMPLOI_PRECAIRE",
                                 np.where(a < p_chom + 0.23, "AUTRE_INACTIF", "EMPLOI_STABLE")))
    activite = np.where(age >= 63, np.where(rng.random(n) < 0.9, "RETRAITE", "AUTRE_INACTIF"),
                        activite).astype(object)
    apl[homog == "apl"] = "O"
    return pd.DataFrame({
        "SITUATION_FAMILIALE": sit, "NB_OCCUPANTS": adults + enfants, "NB_ENFANTS": enfants,
        "AGE_TITULAIRE": age, "PLAFONDS": plafonds, "ACTIVITE": activite, "APL": apl, "z": z,
    })
