"""Safe display tables: published cells with dictionary labels, withheld cells as their status.

Every face (widgets, charts, Excel, reports) goes through these helpers so that a withheld
cell can only ever be shown as its status label and explanation — never as a number.

API::

    long = indicator_long(base, 2024, "revenus", "commune", area_ids=["59350"])
    wide = indicator_wide(long)        # one row per area, one column per category
    format_value(0.234, "share")       # "23,4 %"
    lineage(base, 2024, "R00012", "residence")   # [(scale, id, name), ...] up to the EPCI
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from workbench.dictionary import Dictionary, Indicator, dictionary
from workbench.published import PublishedBase

LONG_COLUMNS = [
    "vintage", "theme", "indicator", "indicator_label", "scale", "area_id", "name",
    "category", "category_label", "base", "count", "value", "text", "status", "status_label",
    "explanation",
]
# Parent columns of areas.parquet, nearest first, used to climb from an area to the EPCI.
PARENTS = {
    "residence": ["iris", "qpv", "commune", "epci"],
    "iris": ["commune", "epci"],
    "qpv": ["commune", "epci"],
    "commune_hors_qpv": ["commune", "epci"],
    "commune": ["epci"],
    "epci": [],
}


def _thousands(number: float, decimals: int = 0) -> str:
    text = f"{number:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return text


def format_value(value: float | None, kind: str, unit_label: str | None = None) -> str:
    """French rendering of a published value (share as %, counts with thin spaces)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "share":
        return f"{_thousands(100 * value, 1)} %"
    if kind == "ratio":
        return f"{_thousands(value, 2)} {unit_label or ''}".strip()
    if kind == "distance":
        return f"{_thousands(value)} {unit_label or 'm'}"
    if kind == "class":
        return _thousands(value)
    return _thousands(value)


def cell_text(value: float | None, status: str, ind: Indicator, d: Dictionary) -> str:
    """What a person may see in a cell: the formatted value, or the status label."""
    if status != "published":
        return d.status_label(status)
    if ind.kind == "class":
        return ""
    return format_value(value, ind.kind, ind.unit_label)


def indicator_long(
    base: PublishedBase,
    vintage: int,
    indicator: str,
    scale: str,
    area_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Rows of one indicator at one scale with labels, display text and status explanations."""
    d = dictionary()
    ind = d.indicator(indicator)
    ids = None if area_ids is None else [str(a) for a in area_ids]
    df = base.indicators(vintage, indicator=indicator, scale=scale, area_ids=ids)
    names = base.names(vintage, scale)
    df["indicator_label"] = ind.label
    df["name"] = df["area_id"].map(names).fillna(df["area_id"])
    df["category_label"] = [ind.category_label(c) for c in df["category"]]
    df["text"] = [
        ind.category_label(c) if (ind.kind == "class" and s == "published")
        else cell_text(v, s, ind, d)
        for v, s, c in zip(df["value"], df["status"], df["category"], strict=True)
    ]
    df["status_label"] = [d.status_label(s) for s in df["status"]]
    df["explanation"] = [d.explanation(s, ind.theme, scale) for s in df["status"]]
    if ind.categories and ind.kind == "share":
        order = {c: i for i, c in enumerate(ind.categories)}
        df["_o"] = df["category"].map(order)
        df = df.sort_values(["name", "_o"]).drop(columns="_o")
    else:
        df = df.sort_values(["name", "category"])
    return df[LONG_COLUMNS].reset_index(drop=True)


def indicator_wide(long: pd.DataFrame) -> pd.DataFrame:
    """One row per area, one column per category: numbers where published, else status label."""
    if long.empty:
        return pd.DataFrame(columns=["Code", "Zone"])
    cell = long["value"].astype(object).where(long["status"] == "published", long["status_label"])
    if (long["indicator"] == "fragilite").any():
        cell = long["text"].where(long["status"] == "published", long["status_label"])
        frame = long.assign(cell=cell, category_label="Classe de fragilité")
    else:
        frame = long.assign(cell=cell)
    order = list(dict.fromkeys(frame["category_label"]))
    wide = frame.pivot_table(
        index=["area_id", "name"], columns="category_label", values="cell", aggfunc="first",
        sort=False,
    )
    wide = wide.reindex(columns=order).reset_index()
    wide.columns.name = None
    return wide.rename(columns={"area_id": "Code", "name": "Zone"})


def lineage(base: PublishedBase, vintage: int, area_id: str, scale: str) -> list[tuple[str, str, str]]:
    """The area then its parents up to the EPCI, as (scale, area_id, name)."""
    row = base.area(vintage, area_id, scale)
    chain = [(scale, str(area_id), str(row["name"]))]
    for parent in PARENTS.get(scale, []):
        pid = row.get(parent)
        if pid is None or (isinstance(pid, float) and math.isnan(pid)) or pid == "":
            continue
        names = base.names(vintage, parent)
        chain.append((parent, str(pid), str(names.get(str(pid), pid))))
    if scale != "epci" and not any(s == "epci" for s, _, _ in chain):
        epci = base.names(vintage, "epci")
        if len(epci) == 1:
            chain.append(("epci", str(epci.index[0]), str(epci.iloc[0])))
    return chain


def comparison_long(
    base: PublishedBase, vintage: int, indicator: str, chain: list[tuple[str, str, str]]
) -> pd.DataFrame:
    """One indicator for each area of a lineage (an area against its IRIS, commune, EPCI)."""
    d = dictionary()
    ind = d.indicator(indicator)
    frames = []
    for scale, area_id, _name in chain:
        if scale not in ind.scales:
            continue
        frames.append(indicator_long(base, vintage, indicator, scale, [area_id]))
    if not frames:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def withheld_cells(long: pd.DataFrame) -> pd.DataFrame:
    """The withheld cells of a table, with their status and French explanation."""
    w = long[long["status"] != "published"]
    return w[["indicator_label", "scale", "area_id", "name", "category_label", "status_label",
              "explanation"]].reset_index(drop=True)


TARGET_INDICATORS = ("objectif_q1_hors_qpv", "objectif_non_q1_qpv", "prioritaires")
MET, MISSED = "Atteint", "Non atteint"


def targets_table(base: PublishedBase, vintage: int, scale: str) -> pd.DataFrame:
    """Every area of a scale against each legal attribution target: share and met / missed.

    Withheld shares show their status label, and their verdict is « Non diffusé » — a verdict
    on a withheld share would reveal on which side of the threshold it lies.
    """
    d = dictionary()
    out: pd.DataFrame | None = None
    for name in TARGET_INDICATORS:
        ind = d.indicator(name)
        if scale not in ind.scales or not ind.target:
            continue
        long = indicator_long(base, vintage, name, scale)
        cell = long[long["category"] == str(ind.target["category"])]
        goal = float(ind.target["value"])
        verdict = [
            (MET if v >= goal else MISSED) if s == "published" else "Non diffusé"
            for v, s in zip(cell["value"], cell["status"], strict=True)
        ]
        part = pd.DataFrame({
            "area_id": cell["area_id"].to_numpy(),
            "Zone": cell["name"].to_numpy(),
            f"{ind.label} ({format_value(goal, 'share')} visés)": cell["text"].to_numpy(),
            f"{ind.label} : objectif": verdict,
        })
        out = part if out is None else out.merge(part, on=["area_id", "Zone"], how="outer")
    if out is None:
        return pd.DataFrame(columns=["area_id", "Zone"])
    return out.sort_values("Zone").reset_index(drop=True)


def markdown_table(frame: pd.DataFrame, max_rows: int = 60) -> str:
    """A small Markdown table of already-safe text (for notebooks rendered as static HTML)."""
    if frame.empty:
        return "_Aucune donnée._"
    shown = frame.head(max_rows).astype(str).replace({"nan": "", "None": ""})
    cols = [str(c) for c in shown.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    if len(frame) > max_rows:
        lines.append(f"\n_… {len(frame) - max_rows} ligne(s) de plus dans l'export Excel._")
    return "\n".join(lines)


def targets_markdown_table(frame: pd.DataFrame, html_output: bool = False) -> str:
    """The targets table as Markdown (notebooks) or HTML (widgets), without the id column."""
    shown = frame.drop(columns=["area_id"], errors="ignore")
    if not html_output:
        return markdown_table(shown)
    return shown.to_html(index=False, classes="wb-table-html", na_rep="", escape=True)


SUB_SCALE = {"epci": "commune", "commune": "iris", "commune_hors_qpv": "iris", "qpv": "iris",
             "iris": "residence"}


def areas_within(base: PublishedBase, vintage: int, scale: str, area_id: str,
                 sub: str | None = None) -> pd.DataFrame:
    """Areas of the next finer scale (or ``sub``) inside a territory, from areas.parquet."""
    sub = sub or SUB_SCALE.get(scale, "residence")
    areas = base.areas(vintage, sub)
    if scale == "epci":
        return areas
    if scale in ("commune", "commune_hors_qpv"):
        commune = area_id.removeprefix("HQ_")
        inside = areas[areas["commune"] == commune]
        if scale == "commune_hors_qpv" and "qpv" in inside:
            inside = inside[inside["qpv"].isna()]
        return inside
    if scale == "qpv":
        inside = areas[areas["qpv"] == area_id]
        if inside.empty:  # IRIS rows may carry no QPV parent: fall back to the commune
            commune = base.area(vintage, area_id, "qpv")["commune"]
            inside = areas[areas["commune"] == commune]
        return inside
    if scale in areas.columns:
        return areas[areas[scale] == area_id]
    return areas.iloc[0:0]


def comparison_markdown(base: PublishedBase, vintage: int, indicators: Iterable[str],
                        chain: list[tuple[str, str, str]]) -> str:
    """Indicators × (territory and its parents) as a Markdown table of safe texts."""
    d = dictionary()
    frames = [comparison_long(base, vintage, name, chain) for name in indicators]
    frames = [f for f in frames if len(f)]
    if not frames:
        return "_Aucune donnée._"
    long = pd.concat(frames, ignore_index=True)
    long["Indicateur"] = [
        lab if ind.kind != "share" else f"{ind.label} — {cat}"
        for lab, cat, ind in zip(long["indicator_label"], long["category_label"],
                                 [d.indicator(i) for i in long["indicator"]], strict=True)
    ]
    long["Zone"] = long["name"]
    wide = long.pivot_table(index="Indicateur", columns="Zone", values="text", aggfunc="first",
                            sort=False)
    order = [n for _, _, n in chain if n in wide.columns]
    return markdown_table(wide.reindex(columns=order).reset_index(), max_rows=200)


def fragility_ranking(base: PublishedBase, vintage: int, scale: str,
                      area_ids: Iterable[str]) -> pd.DataFrame:
    """Areas by fragility class and score (published first, most fragile first)."""
    long = indicator_long(base, vintage, "fragilite", scale, list(area_ids))
    order = {c: i for i, c in enumerate(dictionary().indicator("fragilite").categories)}
    long["_rank"] = long["category"].map(order).fillna(-1)
    long = long.sort_values(["_rank", "value"], ascending=[False, False])
    out = pd.DataFrame({
        "Zone": long["name"],
        "Classe": long["text"],
        "Indicateurs en alerte": [format_value(v, "count") if s == "published" else ""
                                  for v, s in zip(long["value"], long["status"], strict=True)],
        "Motif si non diffusé": [e if s != "published" else ""
                                 for e, s in zip(long["explanation"], long["status"],
                                                 strict=True)],
    })
    return out.reset_index(drop=True)


def equipment_summary(base: PublishedBase, vintage: int, residence_ids: Iterable[str],
                      near: float = 500.0) -> pd.DataFrame:
    """Per equipment family: résidences within ``near`` metres and median distance."""
    ind = dictionary().indicator("distance_equipement")
    long = indicator_long(base, vintage, "distance_equipement", "residence", list(residence_ids))
    rows = []
    for code, label in ind.categories.items():
        cat = long[(long["category"] == code) & (long["status"] == "published")]
        if cat.empty:
            continue
        rows.append({
            "Équipement": label,
            "Résidences": format_value(len(cat), "count"),
            f"À moins de {format_value(near, 'distance')}": format_value(
                float((cat["value"] < near).mean()), "share"),
            "Distance médiane": format_value(float(cat["value"].median()), "distance"),
        })
    return pd.DataFrame(rows)
