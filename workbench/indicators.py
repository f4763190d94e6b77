"""Indicator derivations: from unit-level microdata to one category per unit and indicator.

The dictionary declares every indicator (label, kind, base, categories, bins, mappings); this
module only says how each is derived from the source columns, keyed by the indicator's name.
A test checks that every counted indicator of the dictionary has a derivation here.

A derivation returns a Series aligned on the unit table: the category code of each unit, or
``None`` for units outside the indicator's population (e.g. vacancy counts only dwellings
proposed for letting). For ``count`` indicators the Series is boolean (unit counted or not).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary, Indicator

Derivation = Callable[[pd.DataFrame, Indicator, int], pd.Series]
DERIVATIONS: dict[str, Derivation] = {}


def derives(name: str) -> Callable[[Derivation], Derivation]:
    def wrap(fn: Derivation) -> Derivation:
        DERIVATIONS[name] = fn
        return fn

    return wrap


def _where(mask: pd.Series, values: pd.Series | np.ndarray | str) -> pd.Series:
    """Category where ``mask`` holds, missing elsewhere."""
    out = pd.Series(values, index=mask.index, dtype="object") if not isinstance(
        values, pd.Series
    ) else values.astype("object")
    return out.where(mask.fillna(False).astype(bool), None)


def _binned(values: pd.Series, ind: Indicator) -> pd.Series:
    codes = list(ind.categories)
    cut = pd.cut(pd.to_numeric(values, errors="coerce"), bins=ind.bins, right=False, labels=codes)
    return cut.astype("object").where(cut.notna(), None)


def _is(df: pd.DataFrame, column: str, value: str) -> pd.Series:
    """``column == value`` as plain booleans (a missing value is not ``value``)."""
    return pd.Series((df[column].astype("string") == value).fillna(False).to_numpy(dtype=bool), index=df.index)


def _mode(df: pd.DataFrame) -> pd.Series:
    return df["MODE"].astype("string").fillna("") if "MODE" in df else pd.Series("", index=df.index)


def has_version_loi(logements: pd.DataFrame) -> bool:
    """Whether the RPLS file carries the restricted "version loi" columns."""
    return "MODE" in logements and logements["MODE"].notna().any()


# -- stock (unit: dwelling) ---------------------------------------------------------------
@derives("logements")
def _logements(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return pd.Series(True, index=df.index)


@derives("typologie")
def _typologie(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    rooms = pd.to_numeric(df["NBPIECE"], errors="coerce").clip(upper=5)
    labels = {1: "T1", 2: "T2", 3: "T3", 4: "T4", 5: "T5+"}
    return rooms.map(labels).astype("object")


@derives("financement")
def _financement(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    reverse = {code: cat for cat, codes in (ind.mapping or {}).items() for code in codes}
    return df["FINAN"].astype("string").map(reverse).astype("object")


@derives("periode_construction")
def _periode(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _binned(df["CONSTRUCT"], ind)


@derives("dpe_energie")
def _dpe(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    dpe = df["DPEENERGIE"].astype("string").fillna("") if "DPEENERGIE" in df else pd.Series("", index=df.index)
    return dpe.where(dpe.isin(list(ind.categories)), "NR").astype("object")


@derives("type_construction")
def _typeconst(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return df["TYPECONST"].astype("object")


@derives("localisation_qpv")
def _loc_qpv(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    in_qpv = df["code_qp"].fillna("").astype(str) != ""
    return pd.Series(np.where(in_qpv, "QPV", "HORS_QPV"), index=df.index, dtype="object")


@derives("logements_proposes")
def _proposes(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _mode(df).isin(["1", "2"]).fillna(False).astype(bool)


@derives("vacance")
def _vacance(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    mode = _mode(df)
    months = pd.to_numeric(df.get("DUREEVAC"), errors="coerce").fillna(0)
    cat = np.select(
        [mode == "1", (mode == "2") & (months <= 3), (mode == "2") & (months > 3)],
        ["LOUE", "VAC_COURTE", "VAC_LONGUE"],
        default="",
    )
    return pd.Series(cat, index=df.index, dtype="object").replace("", None)


@derives("logements_mobilite")
def _champ_mobilite(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    # SDES: dwellings let or vacant, first let as social housing before year N-1.
    locat = pd.to_numeric(df.get("LOCAT"), errors="coerce")
    return (_mode(df).isin(["1", "2"]) & (locat < vintage - 1)).fillna(False).astype(bool)


@derives("mobilite")
def _mobilite(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    in_scope = _champ_mobilite(df, ind, vintage)
    bail = df["BAIL"].astype("string") if "BAIL" in df else pd.Series(pd.NA, index=df.index)
    lease_year = pd.to_numeric(bail.str[-4:], errors="coerce")
    moved_in = (lease_year == vintage - 1).fillna(False).to_numpy(dtype=bool)  # no lease: vacant
    cat = np.where(moved_in, "EMMENAGEMENT", "STABLE")
    return _where(in_scope, cat)


# -- occupation (unit: household, i.e. a let dwelling of a landlord file) -------------------
PROFILE_COLUMNS = (
    "SITUATION_FAMILIALE", "NB_ENFANTS", "AGE_TITULAIRE", "PLAFONDS", "ACTIVITE", "APL",
    "EMMENAGE_RECENT",
)


def _let(df: pd.DataFrame) -> pd.Series:
    return _is(df, "OCCUPATION", "LOUE")


def respondent(df: pd.DataFrame) -> pd.Series:
    """A household counts as respondent when it answered and its profile is complete."""
    complete = df[list(PROFILE_COLUMNS)].notna().all(axis=1)
    return (_let(df) & _is(df, "REPONDU", "O") & complete).fillna(False)


@derives("menages")
def _menages(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _let(df).fillna(False).astype(bool)


@derives("reponse")
def _reponse(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    cat = np.where(respondent(df), "REPONDU", "NON_REPONDU")
    return _where(_let(df), cat)


def _among_respondents(df: pd.DataFrame, values: pd.Series) -> pd.Series:
    return _where(respondent(df), values.astype("object"))


@derives("composition")
def _composition(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _among_respondents(df, df["SITUATION_FAMILIALE"])


@derives("familles_nombreuses")
def _nombreuses(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    children = pd.to_numeric(df["NB_ENFANTS"], errors="coerce")
    return _among_respondents(df, pd.Series(np.where(children >= 3, "OUI", "NON"), index=df.index))


@derives("age_titulaire")
def _age(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _among_respondents(df, _binned(df["AGE_TITULAIRE"], ind))


@derives("revenus")
def _revenus(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _among_respondents(df, df["PLAFONDS"])


@derives("activite")
def _activite(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return _among_respondents(df, df["ACTIVITE"])


@derives("apl")
def _apl(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    yes = _is(df, "APL", "O")
    return _among_respondents(df, pd.Series(np.where(yes, "OUI", "NON"), index=df.index))


@derives("anciennete")
def _anciennete(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    recent = _is(df, "EMMENAGE_RECENT", "O")
    return _among_respondents(df, pd.Series(np.where(recent, "RECENT", "ANCIEN"), index=df.index))


@derives("revenus_recents")
def _revenus_recents(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    recent = _is(df, "EMMENAGE_RECENT", "O")
    return _where(respondent(df) & recent, df["PLAFONDS"])


# -- attributions (unit: attribution followed by a signed lease) --------------------------
def _yes(df: pd.DataFrame, column: str) -> pd.Series:
    return _is(df, column, "O")


@derives("attributions")
def _attributions(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return pd.Series(True, index=df.index)


@derives("localisation")
def _localisation(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return pd.Series(np.where(_yes(df, "EN_QPV"), "EN_QPV", "HORS_QPV"), index=df.index, dtype="object")


@derives("objectif_q1_hors_qpv")
def _q1_hors_qpv(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    # L441-1 CCH: first-quartile applicants, or households relocated by ANRU/ORCOD operations.
    q1 = _is(df, "QUARTILE", "1") | _yes(df, "RELOGEMENT_ANRU")
    return _where(~_yes(df, "EN_QPV"), np.where(q1, "Q1_OU_ANRU", "AUTRES"))


@derives("objectif_non_q1_qpv")
def _non_q1_qpv(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    q1 = _is(df, "QUARTILE", "1")
    return _where(_yes(df, "EN_QPV"), np.where(q1, "Q1", "Q2_Q4"))


@derives("prioritaires")
def _prioritaires(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    prio = df["PRIORITE"].astype("string").isin(["DALO", "PRIORITAIRE"])
    return pd.Series(np.where(prio, "PRIORITAIRE", "AUTRES"), index=df.index, dtype="object")


@derives("quartile")
def _quartile(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    return df["QUARTILE"].astype("string").astype("object")


def counted_indicators(d: Dictionary, theme: str, version_loi: bool = True) -> list[Indicator]:
    """Indicators of a theme computed by counting units (counts and shares, not aliases)."""
    out = []
    for ind in d.themes[theme].indicators.values():
        if ind.kind not in {"count", "share"} or ind.same_as is not None:
            continue
        if ind.version_loi and not version_loi:
            continue
        out.append(ind)
    return out


def derive(df: pd.DataFrame, ind: Indicator, vintage: int) -> pd.Series:
    """Category (or membership flag for counts) of each unit for one indicator."""
    try:
        fn = DERIVATIONS[ind.name]
    except KeyError as exc:
        raise KeyError(f"indicateur « {ind.name} » sans règle de calcul") from exc
    out = fn(df, ind, vintage)
    if ind.kind == "share":
        unknown = set(out.dropna().unique()) - set(ind.categories)
        if unknown:
            raise ValueError(
                f"indicateur « {ind.name} » : catégories hors dictionnaire {sorted(map(str, unknown))}"
            )
    return out
