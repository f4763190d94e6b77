"""Static plotly figures (``go.Figure``) built from safe display tables only.

Figures are plain ``go.Figure`` (not ``FigureWidget``: ~5 MB of JavaScript per view) so that
they render in an ``Output`` widget, in Voilà and in static HTML reports alike. A withheld cell
never gets a bar or a point: it is named in an annotation with its status label.

API (each returns ``go.Figure``)::

    comparison_chart(long)            # categories of one indicator, area vs parents
    evolution_chart(evo, indicator)   # one cell across vintages (from PublishedBase.evolution)
    targets_chart(base, vintage, scale, area_id)  # CIET/CIA targets as bullet gauges
    fragility_drivers_chart(drivers)  # driver ratio to the EPCI against the alert line
    ranking_chart(long, category)     # areas ranked by one category share
"""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.published import PublishedBase
from workbench.tables import format_value

PALETTE = ["#1f4e79", "#5b9bd5", "#a9c6e8", "#ed7d31", "#70ad47", "#7f7f7f"]
TARGET_INDICATORS = ("objectif_q1_hors_qpv", "objectif_non_q1_qpv", "prioritaires")
# plotly_white without what bars, lines and gauges never use (polar, 3-D, geo, colour
# scales): every figure carries its template, and this one is ~1 kB instead of ~7 kB.
_TEMPLATE_LAYOUT = ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel",
                    "paper_bgcolor", "plot_bgcolor", "xaxis", "yaxis", "shapedefaults",
                    "annotationdefaults", "title")


@functools.lru_cache(maxsize=1)
def light_template() -> go.layout.Template:
    """The look of ``plotly_white`` for the traces drawn here, in a fraction of its JSON."""
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    layout = white.layout.to_plotly_json()
    return go.layout.Template(
        layout={k: layout[k] for k in _TEMPLATE_LAYOUT if k in layout},
        data={"bar": white.data.bar, "scatter": white.data.scatter},
    )


def _layout(fig: go.Figure, title: str, height: int = 380, note: str = "",
            bottom: int | None = None, legend_rows: int = 0) -> go.Figure:
    """Common look; the source mention (and any withheld note) sit in the subtitle.

    With ``bottom``, the margins are set instead of measured: plotly's auto-margins draw the
    figure twice (and the page's PNG snapshot of it twice more), which was most of the cost
    of redrawing a chart on a territory change.
    """
    sub = (f"<span style='color:#a33'>{note}</span><br>" if note else "") + source_mention()
    top = 125 if note else 105
    margin = {"l": 10, "r": 10, "t": top, "b": 40}
    fixed = {}
    if bottom is not None:
        margin = {"l": 60, "r": 10, "t": top + 22 * legend_rows, "b": bottom, "autoexpand": False}
        fixed = {"xaxis": {"automargin": False}, "yaxis": {"automargin": False}}
    fig.update_layout(
        title={"text": title, "x": 0, "subtitle": {"text": sub, "font": {"size": 10,
                                                                         "color": "#555"}}},
        height=height + (20 if note else 0),
        margin=margin,
        template=light_template(),
        separators=", ",
        font={"family": "Marianne, Arial, sans-serif", "size": 12},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        **fixed,
    )
    return fig


def _withheld_note(long: pd.DataFrame) -> str:
    w = long[long["status"] != "published"]
    if w.empty:
        return ""
    parts = sorted({f"{n} : {s}" for n, s in zip(w["name"], w["status_label"], strict=True)})
    return "Non diffusé — " + " ; ".join(parts[:6]) + (" ; …" if len(parts) > 6 else "")


def _wrap(text: str, width: int = 16) -> str:
    """Break long category labels on spaces so they are not rotated (plotly uses <br>)."""
    import textwrap

    return "<br>".join(textwrap.wrap(str(text), width)) or str(text)


def _legend_rows(names: list[str], width_px: int = 520) -> int:
    """Rows a horizontal legend takes (an estimate: ~6.5 px a character, 40 px a symbol)."""
    rows, used = 1, 0.0
    for name in names:
        w = 40 + 6.5 * len(name)
        if used and used + w > width_px:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def comparison_chart(long: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Grouped bars: one group per category, one bar per area (area, IRIS, commune, EPCI)."""
    d = dictionary()
    fig = go.Figure()
    if long.empty:
        return _layout(fig, title or "Aucune donnée")
    ind = d.indicator(str(long["indicator"].iloc[0]))
    pct = ind.kind == "share"
    labels = {c: _wrap(c, 13) for c in long["category_label"]} if ind.categories \
        else {c: _wrap(ind.label, 13) for c in long["category_label"]}
    for i, (_area_id, rows) in enumerate(long.groupby("area_id", sort=False)):
        pub = rows[rows["status"] == "published"]
        fig.add_bar(
            name=str(rows["name"].iloc[0]),
            x=[labels[c] for c in pub["category_label"]],
            y=pub["value"] * (100 if pct else 1),
            text=pub["text"],
            textposition="outside",
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate="%{x}<br>%{text}<extra>" + str(rows["name"].iloc[0]) + "</extra>",
        )
    fig.update_layout(barmode="group", xaxis={"tickangle": 0, "tickfont": {"size": 11}},
                      yaxis={"title": "%" if pct else (ind.unit_label or ""),
                             "rangemode": "tozero"})
    lines = max((lab.count("<br>") + 1 for lab in labels.values()), default=1)
    names = [str(n) for n in dict.fromkeys(long["name"])]
    return _layout(fig, title or ind.label, height=420, note=_withheld_note(long),
                   bottom=16 + 14 * lines, legend_rows=_legend_rows(names))


def evolution_chart(evo: pd.DataFrame, indicator: str, title: str | None = None) -> go.Figure:
    """An indicator cell across vintages; withheld vintages are gaps named in a note."""
    d = dictionary()
    ind = d.indicator(indicator)
    pct = ind.kind == "share"
    pub = evo[evo["status"] == "published"]
    fig = go.Figure()
    fig.add_scatter(
        x=evo["vintage"].astype(str),
        y=(evo["value"] * (100 if pct else 1)).where(evo["status"] == "published"),
        mode="lines+markers+text",
        text=[format_value(v, ind.kind, ind.unit_label) for v in evo["value"]],
        textposition="top center",
        line={"color": PALETTE[0]},
        connectgaps=False,
        cliponaxis=False,  # the value above the highest point stays readable
        name=ind.label,
    )
    withheld = evo[evo["status"] != "published"]
    note = ""
    if len(withheld):
        labels = [f"{v} : {d.status_label(s)}" for v, s in zip(withheld["vintage"],
                                                                withheld["status"], strict=True)]
        note = "Non diffusé — " + " ; ".join(labels)
    fig.update_xaxes(type="category", title="Millésime")
    fig.update_yaxes(title="%" if pct else (ind.unit_label or ""), rangemode="tozero")
    if pub.empty:
        fig.update_yaxes(range=[0, 1])
    return _layout(fig, title or ind.label, height=320, note=note, bottom=55)


def target_rows(base: PublishedBase, vintage: int, scale: str, area_id: str) -> pd.DataFrame:
    """The legal attribution targets of one area: achieved share, target, met or not."""
    from workbench.tables import indicator_long

    d = dictionary()
    rows = []
    for name in TARGET_INDICATORS:
        ind = d.indicator(name)
        if scale not in ind.scales or not ind.target:
            continue
        long = indicator_long(base, vintage, name, scale, [area_id])
        cell = long[long["category"] == str(ind.target["category"])]
        if cell.empty:
            continue
        c = cell.iloc[0]
        published = c["status"] == "published"
        goal = float(ind.target["value"])
        rows.append({
            "indicator": name,
            "label": ind.label,
            "target_label": ind.target.get("label", ""),
            "target": goal,
            "value": c["value"] if published else None,
            "text": c["text"],
            "status": c["status"],
            "explanation": c["explanation"],
            "met": (c["value"] >= goal) if published else None,
        })
    return pd.DataFrame(rows)


def targets_chart(base: PublishedBase, vintage: int, scale: str, area_id: str,
                  title: str | None = None) -> go.Figure:
    """Bullet gauges of the attribution targets (25 % / 50 % / 25 %); withheld = text only."""
    rows = target_rows(base, vintage, scale, area_id)
    n = max(len(rows), 1)
    fig = make_subplots(rows=n, cols=1, specs=[[{"type": "indicator"}]] * n,
                        vertical_spacing=0.2)
    for i, r in enumerate(rows.itertuples(), start=1):
        if r.status == "published":
            color = "#70ad47" if r.met else "#c0504d"
            fig.add_trace(go.Indicator(
                mode="number+gauge", value=100 * r.value,
                number={"suffix": " %", "valueformat": ".1f"},
                title={"text": f"{r.label}<br><span style='font-size:10px'>{r.target_label}"
                               "</span>", "font": {"size": 12}},
                gauge={"shape": "bullet", "axis": {"range": [0, 100]},
                       "threshold": {"line": {"color": "black", "width": 3},
                                     "thickness": 0.9, "value": 100 * r.target},
                       "bar": {"color": color}},
            ), row=i, col=1)
        else:
            fig.add_trace(go.Indicator(
                mode="number", value=None, number={"font": {"size": 1}},
                title={"text": f"{r.label} — {r.text}<br><span style='font-size:10px'>"
                               f"{r.explanation}</span>", "font": {"size": 12}},
            ), row=i, col=1)
    return _layout(fig, title or "Objectifs d'attribution", height=120 + 110 * n)


def fragility_drivers_chart(drivers: pd.DataFrame, ratio_alert: float,
                            title: str | None = None) -> go.Figure:
    """Each driver's ratio to the EPCI value, against the alert ratio (published drivers only)."""
    fig = go.Figure()
    pub = drivers[drivers["ratio"].notna()]
    fig.add_bar(
        y=pub["label"], x=pub["ratio"], orientation="h",
        marker_color=["#c0504d" if a else "#5b9bd5" for a in pub["alert"]],
        text=[f"{r:.2f}".replace(".", ",") for r in pub["ratio"]], textposition="outside",
        name="Rapport à la moyenne de l'EPCI",
    )
    fig.add_vline(x=ratio_alert, line_dash="dash", line_color="#333",
                  annotation_text=f"Seuil d'alerte ×{str(ratio_alert).replace('.', ',')}")
    missing = drivers[drivers["ratio"].isna()]
    note = ("Non diffusé — " + " ; ".join(
        f"{a} : {b}" for a, b in zip(missing["label"], missing["text"], strict=True))
        if len(missing) else "")
    fig.update_xaxes(title="Rapport à la valeur de l'EPCI", rangemode="tozero")
    return _layout(fig, title or "Indicateurs de fragilité", height=360, note=note)


def ranking_chart(long: pd.DataFrame, category: str, top: int = 20,
                  title: str | None = None) -> go.Figure:
    """Areas ranked by one published category (withheld areas are counted in a note)."""
    d = dictionary()
    ind = d.indicator(str(long["indicator"].iloc[0])) if len(long) else None
    rows = long[long["category"] == category]
    pub = rows[rows["status"] == "published"].sort_values("value", ascending=False).head(top)
    pct = ind is not None and ind.kind == "share"
    fig = go.Figure()
    fig.add_bar(y=pub["name"], x=pub["value"] * (100 if pct else 1), orientation="h",
                text=pub["text"], textposition="outside", marker_color=PALETTE[0])
    fig.update_yaxes(autorange="reversed")
    n_withheld = int((rows["status"] != "published").sum())
    note = f"{n_withheld} zone(s) non diffusée(s) (secret statistique)" if n_withheld else ""
    label = ind.category_label(category) if ind else category
    return _layout(fig, title or label, height=max(300, 24 * len(pub) + 140), note=note)
