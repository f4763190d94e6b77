"""The résidence sheet (fiche pré-commission): identity, occupation, fragility, guidance.

Everything comes from the published base, so a withheld figure can only appear as its status.
The attribution recommendations are *guidance* derived from the published fragility drivers
(each driver in alert suggests a point of attention) — never a decision about a household.

API::

    sheet = residence_sheet(base, 2024, "R00012")
    sheet.identity            # dict of French labels -> text
    sheet.profile             # long table: occupation indicators, résidence vs IRIS/commune/EPCI
    sheet.fragility           # dict: class label, score, status text
    sheet.drivers             # DataFrame: label, value, epci, ratio, alert, text
    sheet.recommendations     # list of French sentences
    drivers_table(base, vintage, scale, area_id)   # same drivers for any area
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from workbench.dictionary import dictionary
from workbench.published import PublishedBase
from workbench.tables import comparison_long, format_value, indicator_long, lineage

IDENTITY_SHARES = ("typologie", "financement", "dpe_energie")
PROFILE_INDICATORS = ("composition", "familles_nombreuses", "age_titulaire", "revenus",
                      "activite", "apl", "anciennete")
DYNAMICS = (("vacance", "VAC_LONGUE"), ("mobilite", "EMMENAGEMENT"), ("loyer_m2", ""))
GUIDANCE_PREFIX = (
    "Préconisations indicatives, établies à partir des seuls indicateurs publiés : elles "
    "éclairent la commission et ne constituent en aucun cas une décision d'attribution."
)
# One point of attention per fragility driver in alert (keyed by "indicator|category").
DRIVER_GUIDANCE = {
    "revenus|<20": "Veiller à ne pas accroître la concentration de ménages aux ressources les "
                   "plus faibles : privilégier, à besoin égal, des ménages hors du premier "
                   "quartile.",
    "apl|OUI": "La part de bénéficiaires de l'APL est élevée : rechercher une diversité de "
               "niveaux de ressources parmi les candidats proposés.",
    "activite|CHOMAGE": "La part de ménages au chômage est élevée : favoriser, à besoin égal, "
                        "l'accueil de ménages en emploi.",
    "composition|MONOPARENTALE": "Les familles monoparentales sont surreprésentées : veiller à "
                                 "la diversité des compositions familiales et à l'accompagnement "
                                 "social.",
    "familles_nombreuses|OUI": "Les familles nombreuses sont surreprésentées : orienter les "
                               "grands logements avec attention au peuplement de l'immeuble.",
    "vacance|VAC_LONGUE": "La vacance de plus de 3 mois est élevée : examiner les causes de "
                          "refus et élargir le vivier de candidats.",
    "mobilite|EMMENAGEMENT": "La rotation est élevée : prévoir un accueil et un accompagnement "
                             "des nouveaux entrants.",
}
CLASS_GUIDANCE = {
    "EQUILIBRE": "Résidence en équilibre : elle peut contribuer à l'accueil de ménages du "
                 "premier quartile ou prioritaires, dans le respect des objectifs de la CIA.",
    "VIGILANCE": "Résidence en vigilance : maintenir la diversité des profils accueillis.",
    "FRAGILE": "Résidence fragile : rechercher en priorité une diversification des profils "
               "(ressources, activité, composition).",
    "TRES_FRAGILE": "Résidence très fragile : éviter d'y concentrer de nouveaux ménages en "
                    "difficulté et mobiliser un accompagnement renforcé.",
}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def drivers_table(base: PublishedBase, vintage: int, scale: str, area_id: str) -> pd.DataFrame:
    """The fragility drivers of an area: its published value against the EPCI's, in alert or not."""
    d = dictionary()
    method = d.indicator("fragilite").method or {}
    ratio_alert = float(method.get("ratio_alert", 1.2))
    chain = lineage(base, vintage, area_id, scale)
    epci_id = next((a for s, a, _ in chain if s == "epci"), None)
    rows = []
    for dr in method.get("drivers", []):
        name, cat = dr["indicator"], str(dr["category"])
        mine = indicator_long(base, vintage, name, scale, [area_id])
        mine = mine[mine["category"] == cat]
        ref = (indicator_long(base, vintage, name, "epci", [epci_id]) if epci_id
               else mine.iloc[0:0])
        ref = ref[ref["category"] == cat]
        value = mine["value"].iloc[0] if len(mine) and mine["status"].iloc[0] == "published" \
            else None
        epci = ref["value"].iloc[0] if len(ref) and ref["status"].iloc[0] == "published" else None
        ratio = value / epci if (value is not None and epci) else None
        rows.append({
            "driver": f"{name}|{cat}",
            "label": dr["label"],
            "value": value,
            "epci": epci,
            "ratio": ratio,
            "alert": bool(ratio is not None and ratio > ratio_alert),
            "text": mine["text"].iloc[0] if len(mine) else d.status_label("not_at_scale"),
            "epci_text": ref["text"].iloc[0] if len(ref) else "",
        })
    return pd.DataFrame(rows)


@dataclass
class ResidenceSheet:
    """Everything the pre-commission sheet shows, already safe to display."""

    vintage: int
    residence_id: str
    name: str
    identity: dict[str, str]
    chain: list[tuple[str, str, str]]
    stock: pd.DataFrame
    profile: pd.DataFrame
    dynamics: pd.DataFrame
    equipment: pd.DataFrame
    fragility: dict[str, str]
    drivers: pd.DataFrame
    recommendations: list[str] = field(default_factory=list)
    occupation_withheld: str | None = None


def _text(long: pd.DataFrame, category: str = "") -> str:
    rows = long[long["category"] == category]
    return str(rows["text"].iloc[0]) if len(rows) else ""


def residence_sheet(base: PublishedBase, vintage: int, residence_id: str) -> ResidenceSheet:
    """Assemble the sheet of one résidence from the published base."""
    d = dictionary()
    area = base.area(vintage, residence_id, "residence")
    chain = lineage(base, vintage, residence_id, "residence")
    names = {s: n for s, _, n in chain}
    logements = indicator_long(base, vintage, "logements", "residence", [residence_id])
    year = area.get("annee_construction")
    identity = {
        "Adresse": str(area.get("adresse") or area["name"]),
        "Bailleur": "" if _missing(area.get("bailleur")) else str(area.get("bailleur")),
        "Commune": names.get("commune", ""),
        "IRIS": names.get("iris", ""),
        "Quartier prioritaire (QPV)": names.get("qpv", "Hors QPV"),
        "Année de construction": "" if _missing(year) else str(int(year)),
        "Logements sociaux": _text(logements),
    }
    stock = pd.concat([indicator_long(base, vintage, n, "residence", [residence_id])
                       for n in IDENTITY_SHARES], ignore_index=True)
    profile = pd.concat([comparison_long(base, vintage, n, chain) for n in PROFILE_INDICATORS],
                        ignore_index=True)
    dyn_rows = []
    for name, cat in DYNAMICS:
        long = comparison_long(base, vintage, name, chain)
        dyn_rows.append(long[long["category"] == cat])
    dynamics = pd.concat(dyn_rows, ignore_index=True)
    equipment = indicator_long(base, vintage, "distance_equipement", "residence", [residence_id])
    frag = indicator_long(base, vintage, "fragilite", "residence", [residence_id])
    if len(frag) and frag["status"].iloc[0] == "published":
        code = str(frag["category"].iloc[0])
        fragility = {
            "code": code,
            "label": d.indicator("fragilite").category_label(code),
            "score": format_value(frag["value"].iloc[0], "count"),
            "explanation": "",
        }
    else:
        status = str(frag["status"].iloc[0]) if len(frag) else "not_at_scale"
        fragility = {"code": "", "label": d.status_label(status), "score": "",
                     "explanation": d.explanation(status, "context", "residence")}
    drivers = drivers_table(base, vintage, "residence", residence_id)
    own = profile[profile["scale"] == "residence"]
    occupation_withheld = None
    if len(own) and (own["status"] != "published").all():
        occupation_withheld = str(own["explanation"].iloc[0])
    sheet = ResidenceSheet(
        vintage=vintage, residence_id=str(residence_id), name=str(area["name"]),
        identity=identity, chain=chain, stock=stock, profile=profile, dynamics=dynamics,
        equipment=equipment, fragility=fragility, drivers=drivers,
        occupation_withheld=occupation_withheld,
    )
    sheet.recommendations = recommendations(sheet)
    return sheet


def recommendations(sheet: ResidenceSheet) -> list[str]:
    """Guidance for the next attributions, derived from the published fragility only."""
    out = [GUIDANCE_PREFIX]
    code = sheet.fragility.get("code", "")
    if not code:
        out.append(
            "Classe de fragilité non diffusée pour cette résidence "
            f"({sheet.fragility.get('explanation', '').rstrip('.')}) : aucune préconisation "
            "fondée sur "
            "l'occupation ne peut être formulée ; se référer aux indicateurs de l'IRIS et de "
            "la commune."
        )
    else:
        out.append(CLASS_GUIDANCE.get(code, ""))
        for row in sheet.drivers.itertuples():
            if row.alert and row.driver in DRIVER_GUIDANCE:
                out.append(DRIVER_GUIDANCE[row.driver])
    in_qpv = "qpv" in {s for s, _, _ in sheet.chain}
    if in_qpv:
        out.append("Résidence en QPV : l'objectif légal est d'y attribuer au moins 50 % des "
                   "logements à des ménages hors du premier quartile de ressources.")
    else:
        out.append("Résidence hors QPV : elle compte dans l'objectif légal d'au moins 25 % "
                   "d'attributions aux ménages du premier quartile ou relogés (ANRU).")
    return [s for s in out if s]


def sheet_markdown(sheet: ResidenceSheet) -> str:
    """The sheet's identity, fragility and guidance as French Markdown (static reports)."""
    from workbench.config import source_mention
    from workbench.tables import markdown_table

    lines = [f"## {sheet.name}", ""]
    lines += [f"- **{k}** : {v or '—'}" for k, v in sheet.identity.items()]
    lines += ["", f"### Fragilité (millésime {sheet.vintage})", ""]
    if sheet.fragility.get("code"):
        lines.append(f"Classe : **{sheet.fragility['label']}** "
                     f"({sheet.fragility['score']} indicateur(s) en alerte).")
    else:
        lines.append(f"Classe : **{sheet.fragility['label']}** — {sheet.fragility['explanation']}")
    if len(sheet.drivers):
        table = sheet.drivers.assign(
            alerte=["Oui" if a else "Non" for a in sheet.drivers["alert"]])[
            ["label", "text", "epci_text", "alerte"]]
        table.columns = ["Indicateur", "Résidence", "Métropole", "En alerte"]
        lines += ["", markdown_table(table)]
    if sheet.occupation_withheld:
        lines += ["", f"> Occupation de la résidence non diffusée : {sheet.occupation_withheld}"]
    lines += ["", "### Préconisations pour les prochaines attributions", ""]
    lines += [f"- {s}" for s in sheet.recommendations]
    lines += ["", f"_{source_mention()}_"]
    return "\n".join(lines)
