"""Reusable ipywidgets panels that notebooks and Voilà dashboards compose.

Every panel is an ipywidgets box (so it can be displayed or nested directly), reads only the
published base and carries stable CSS classes for styling and browser tests. Selectors expose
their choice as a ``value`` property and accept ``on_change(callback)`` (callback with no
argument). Plotly figures are static ``go.Figure`` set as the ``outputs`` of ``Output`` widgets
from the kernel (a ``FigureWidget`` costs ~5 MB of JavaScript per view; printing into the
Output makes the page sync the output back and the kernel echo it).

Panels and CSS classes::

    VintageSelector(base)            wb-vintage        .value -> int
    ScaleSelector(scales)            wb-scale          .value -> "commune"
    IndicatorSelector(theme=None)    wb-indicator-selector (wb-theme, wb-indicator, wb-category)
                                                       .value -> ("revenus", "<20")
    TerritoryPicker(base, vintage)   wb-territory (wb-territory-search, wb-territory-commune,
                                     wb-territory-sub, wb-territory-residence)
                                                       .value -> Territory(scale, area_id, name, commune)
    MapPanel(base)                   wb-map-panel (map: wb-map, wb-map-info, wb-map-legend)
    ChartPanel(title)                wb-chart          .show(fig)
    TablePanel()                     wb-table          .show(long) safe HTML table
    ExportButton(views_getter)       wb-export (button wb-export-button, link wb-export-link)
    Explorer(base)                   wb-explorer       selectors + map + charts + table + export
    FichePanel(base)                 wb-fiche          résidence sheet with guidance
    AttributionsPanel(base)          wb-attributions   CIET/CIA targets by commune/bailleur/réservataire

Messages shown to users are in French; errors are shown in a ``wb-error`` box, never raised
into the page.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as W
import pandas as pd

from workbench.charts import comparison_chart, evolution_chart, targets_chart
from workbench.config import paths, source_mention
from workbench.dictionary import dictionary
from workbench.export import ExportView, export_workbook
from workbench.fiche import residence_sheet
from workbench.maps import ChoroplethMap
from workbench.published import PublishedBase, PublishedBaseError
from workbench.tables import comparison_long, indicator_long, lineage

GEO_SCALES = ("epci", "commune", "commune_hors_qpv", "qpv", "iris", "residence")


def _classed(widget: W.Widget, *classes: str) -> W.Widget:
    for c in classes:
        widget.add_class(c)
    return widget


class _Selector(W.VBox):
    """Base: a box whose ``value`` changes notify ``on_change`` callbacks."""

    def __init__(self, children=(), **kwargs) -> None:
        super().__init__(children=list(children), **kwargs)
        self._callbacks: list[Callable[[], None]] = []
        self._muted = 0

    def on_change(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def _fire(self, *_: object) -> None:
        if self._muted:
            return
        for cb in list(self._callbacks):
            cb()


class VintageSelector(_Selector):
    def __init__(self, base: PublishedBase) -> None:
        years = base.vintages()
        self.dropdown = _classed(W.Dropdown(options=[(str(y), y) for y in reversed(years)],
                                            description="Millésime", value=years[-1] if years
                                            else None), "wb-vintage")
        super().__init__([self.dropdown])
        self.dropdown.observe(self._fire, names="value")

    @property
    def value(self) -> int:
        return int(self.dropdown.value)


class ScaleSelector(_Selector):
    def __init__(self, scales: tuple[str, ...] = GEO_SCALES, value: str = "commune") -> None:
        d = dictionary()
        self.dropdown = _classed(W.Dropdown(options=[(d.scale_label(s), s) for s in scales],
                                            value=value if value in scales else scales[0],
                                            description="Échelle"), "wb-scale")
        super().__init__([self.dropdown])
        self.dropdown.observe(self._fire, names="value")

    @property
    def value(self) -> str:
        return str(self.dropdown.value)

    def restrict(self, scales: tuple[str, ...]) -> None:
        """Offer only the scales an indicator is published at (keeps the choice if possible)."""
        d = dictionary()
        keep = self.value if self.value in scales else scales[0]
        self._muted += 1
        try:
            self.dropdown.options = [(d.scale_label(s), s) for s in scales]
            self.dropdown.value = keep
        finally:
            self._muted -= 1


class IndicatorSelector(_Selector):
    """Theme → indicator → category, labels from the dictionary."""

    def __init__(self, theme: str | None = None, indicator: str | None = None) -> None:
        d = dictionary()
        themes = [(t.label, t.name) for t in d.themes.values()]
        self.theme = _classed(W.Dropdown(options=themes, description="Thème",
                                         value=theme or "occupation"), "wb-theme")
        self.indicator = _classed(W.Dropdown(description="Indicateur"), "wb-indicator")
        self.category = _classed(W.Dropdown(description="Catégorie"), "wb-category")
        super().__init__([self.theme, self.indicator, self.category])
        self.add_class("wb-indicator-selector")
        self._fill_indicators(indicator)
        self.theme.observe(lambda _: self._fill_indicators(None), names="value")
        self.indicator.observe(lambda _: self._fill_categories(), names="value")
        self.category.observe(self._fire, names="value")

    def _fill_indicators(self, wanted: str | None) -> None:
        self._muted += 1
        try:
            self._fill_indicators_muted(wanted)
        finally:
            self._muted -= 1
        self._fire()

    def _fill_indicators_muted(self, wanted: str | None) -> None:
        d = dictionary()
        inds = [i for i in d.themes[self.theme.value].indicators.values()
                if i.kind != "count" or i.same_as is None]
        self.indicator.options = [(i.label, i.name) for i in inds]
        names = [i.name for i in inds]
        self.indicator.value = wanted if wanted in names else next(
            (i.name for i in inds if i.kind in ("share", "class")), names[0])
        self._fill_categories()

    def _fill_categories(self) -> None:
        ind = dictionary().indicator(self.indicator.value)
        self._muted += 1
        try:
            if ind.kind in ("share", "distance"):
                self.category.options = [(lab, code) for code, lab in ind.categories.items()]
                self.category.layout.display = None
            else:
                self.category.options = [(ind.label, "")]
                self.category.layout.display = "none"
        finally:
            self._muted -= 1
        self._fire()

    @property
    def value(self) -> tuple[str, str]:
        return str(self.indicator.value), str(self.category.value or "")

    def set(self, indicator: str, category: str = "") -> None:
        """Choose an indicator (and category) programmatically, notifying once."""
        ind = dictionary().indicator(indicator)
        self._muted += 1
        try:
            self.theme.value = ind.theme
            self.indicator.value = indicator
            if category:
                self.category.value = category
        finally:
            self._muted -= 1
        self._fire()


@dataclass(frozen=True)
class Territory:
    """A chosen area: its scale, id, readable name and commune (None above the commune)."""

    scale: str
    area_id: str
    name: str
    commune: str | None = None


class TerritoryPicker(_Selector):
    """EPCI → commune → IRIS / QPV → résidence, plus a search box by name or code."""

    def __init__(self, base: PublishedBase, vintage: int | None = None) -> None:
        self.base = base
        self.vintage = vintage or base.latest()
        d = dictionary()
        self.search = _classed(W.Combobox(placeholder="Rechercher une zone (nom ou code)",
                                          description="Recherche", ensure_option=True),
                               "wb-territory-search")
        self.commune = _classed(W.Dropdown(description="Commune"), "wb-territory-commune")
        self.sub = _classed(W.Dropdown(description="IRIS / QPV"), "wb-territory-sub")
        self.residence = _classed(W.Dropdown(description=d.scale_label("residence")),
                                  "wb-territory-residence")
        self.label = _classed(W.HTML(), "wb-territory-label")
        super().__init__([self.search, self.commune, self.sub, self.residence, self.label])
        self.add_class("wb-territory")
        self._busy = False
        self._load()
        self.commune.observe(self._on_commune, names="value")
        self.sub.observe(self._on_sub, names="value")
        self.residence.observe(self._on_residence, names="value")
        self.search.observe(self._on_search, names="value")
        self._current = self._compute()
        self._show()

    def _load(self) -> None:
        areas = self.base.areas(self.vintage)
        self.areas = areas[areas["scale"].isin(GEO_SCALES)][
            ["area_id", "scale", "name", "commune", "iris", "qpv"]].copy()
        epci = self.areas[self.areas["scale"] == "epci"]
        self.epci = Territory("epci", str(epci["area_id"].iloc[0]), str(epci["name"].iloc[0])) \
            if len(epci) else None
        communes = self.areas[self.areas["scale"] == "commune"].sort_values("name")
        epci_label = f"Toute la métropole ({self.epci.name})" if self.epci else "Toutes"
        self.commune.options = [(epci_label, "")] + [
            (f"{n} ({a})", a) for a, n in zip(communes["area_id"], communes["name"], strict=True)]
        d = dictionary()
        self._search_index = {
            f"{n} ({a}) — {d.scale_label(s)}": (s, a)
            for s, a, n in zip(self.areas["scale"], self.areas["area_id"], self.areas["name"],
                               strict=True)
        }
        self.search.options = list(self._search_index)
        self._fill_sub("")

    def _fill_sub(self, commune: str) -> None:
        d = dictionary()
        self._busy = True
        if commune:
            sub = self.areas[(self.areas["commune"] == commune)
                             & self.areas["scale"].isin(["iris", "qpv", "commune_hors_qpv"])]
            sub = sub.sort_values(["scale", "name"])
            self.sub.options = [("Toute la commune", "")] + [
                (f"{d.scale_label(s)} : {n}", f"{s}|{a}")
                for s, a, n in zip(sub["scale"], sub["area_id"], sub["name"], strict=True)]
            res = self.areas[(self.areas["scale"] == "residence")
                             & (self.areas["commune"] == commune)].sort_values("name")
            self.residence.options = [("Aucune", "")] + [
                (f"{n} ({a})", a) for a, n in zip(res["area_id"], res["name"], strict=True)]
        else:
            self.sub.options = [("—", "")]
            self.residence.options = [("—", "")]
        self.sub.value = ""
        self.residence.value = ""
        self.sub.disabled = self.residence.disabled = not commune
        self._busy = False

    def _filter_residences(self, sub: str) -> None:
        if not sub or not self.commune.value:
            return
        scale, area_id = sub.split("|", 1)
        res = self.areas[(self.areas["scale"] == "residence")
                         & (self.areas["commune"] == self.commune.value)]
        if scale in ("iris", "qpv"):
            res = res[res[scale] == area_id]
        elif scale == "commune_hors_qpv":
            res = res[res["qpv"].isna()]
        res = res.sort_values("name")
        self._busy = True
        self.residence.options = [("Aucune", "")] + [
            (f"{n} ({a})", a) for a, n in zip(res["area_id"], res["name"], strict=True)]
        self.residence.value = ""
        self._busy = False

    def _compute(self) -> Territory | None:
        def named(scale: str, area_id: str) -> Territory:
            row = self.areas[(self.areas["scale"] == scale) & (self.areas["area_id"] == area_id)]
            name = str(row["name"].iloc[0]) if len(row) else area_id
            commune = self.commune.value or (str(row["commune"].iloc[0]) if len(row)
                                             and isinstance(row["commune"].iloc[0], str)
                                             else None)
            return Territory(scale, area_id, name, commune or None)

        if self.residence.value:
            return named("residence", self.residence.value)
        if self.sub.value:
            scale, area_id = self.sub.value.split("|", 1)
            return named(scale, area_id)
        if self.commune.value:
            return named("commune", self.commune.value)
        return self.epci

    def _changed(self) -> None:
        if self._busy:
            return
        self._current = self._compute()
        self._show()
        self._fire()

    def _show(self) -> None:
        t = self._current
        if t is not None:
            self.label.value = (f"<b>{html.escape(t.name)}</b> "
                                f"<small>({dictionary().scale_label(t.scale)} {t.area_id})</small>")

    def _on_commune(self, change: dict) -> None:
        if self._busy:
            return
        self._fill_sub(change["new"])
        self._changed()

    def _on_sub(self, change: dict) -> None:
        if self._busy:
            return
        self._filter_residences(change["new"])
        self._changed()

    def _on_residence(self, _change: dict) -> None:
        self._changed()

    def _on_search(self, change: dict) -> None:
        hit = self._search_index.get(change["new"])
        if hit:
            self.select(*hit)

    def select(self, scale: str, area_id: str) -> None:
        """Select an area programmatically (sets the cascaded dropdowns accordingly)."""
        row = self.areas[(self.areas["scale"] == scale) & (self.areas["area_id"] == area_id)]
        if row.empty:
            raise KeyError(f"zone inconnue : « {area_id} »")
        r = row.iloc[0]
        commune = area_id if scale == "commune" else (r["commune"] if isinstance(r["commune"], str)
                                                      else "")
        self._busy = True
        self.commune.value = commune
        self._busy = False
        self._fill_sub(commune)
        self._busy = True
        if scale in ("iris", "qpv", "commune_hors_qpv"):
            self.sub.value = f"{scale}|{area_id}"
        if scale == "residence":
            self.residence.value = area_id
        self._busy = False
        self._changed()

    @property
    def value(self) -> Territory | None:
        return self._current


PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLOTLY_CONFIG = {"displaylogo": False, "locale": "fr"}


def figure_output(fig) -> dict:  # noqa: ANN001 - a plotly go.Figure
    """A figure as one ``display_data`` output for an ``Output`` widget's ``outputs``."""
    spec = json.loads(fig.to_json())
    spec["config"] = PLOTLY_CONFIG
    title = fig.layout.title.text or "sans titre"
    return {"output_type": "display_data", "metadata": {},
            "data": {PLOTLY_MIME: spec, "text/plain": f"Graphique : {title}"}}


class ChartPanel(W.VBox):
    """A static plotly figure in an Output widget (replaced on ``show``).

    The figure is set as the widget's ``outputs`` from the kernel: one message of a few kB.
    Printing it inside ``with out:`` instead makes the page capture the output and sync it
    back, and the kernel echo it to the page again (~4 times the figure per change).
    """

    def __init__(self, css: str = "wb-chart") -> None:
        self.out = W.Output()
        super().__init__([self.out])
        self.add_class("wb-chart")
        if css != "wb-chart":
            self.add_class(css)
        self.figure = None

    def clear(self) -> None:
        self.figure = None
        self.out.outputs = ()

    def show(self, fig) -> None:  # noqa: ANN001 - a plotly go.Figure
        self.figure = fig
        self.out.outputs = (figure_output(fig),)


def table_html(long: pd.DataFrame, max_rows: int = 200) -> str:
    """A safe HTML table: published cells formatted, withheld cells as status with tooltip."""
    if long.empty:
        return "<p>Aucune donnée.</p>"
    d = dictionary()
    ind = d.indicator(str(long["indicator"].iloc[0]))
    withheld = long["status"] != "published"
    text = long["text"].map(html.escape)
    tip = long["explanation"].map(html.escape)
    cell = ("<td class='wb-cell'>" + text + "</td>").where(
        ~withheld, "<td class='wb-cell wb-withheld' title='" + tip + "'>" + text + "</td>")
    column = long["category_label"] if ind.kind != "class" else pd.Series(
        ind.label, index=long.index)
    frame = pd.DataFrame({"area_id": long["area_id"], "name": long["name"], "col": column,
                          "cell": cell})
    cats = list(dict.fromkeys(frame["col"]))
    wide = frame.pivot_table(index=["area_id", "name"], columns="col", values="cell",
                             aggfunc="first", sort=False).reindex(columns=cats)
    n_areas = len(wide)
    wide = wide.head(max_rows).fillna("<td></td>")
    names = ["<tr><th>" + html.escape(str(n)) + "</th>" for _, n in wide.index]
    body = "".join(h + "".join(row) + "</tr>" for h, row in zip(names, wide.to_numpy().tolist(),
                                                                  strict=True))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["Zone", *cats])
    more = (f"<p><small>{n_areas - max_rows} zone(s) de plus dans l'export Excel.</small></p>"
            if n_areas > max_rows else "")
    return (f"<table class='wb-table-html'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{more}"
            f"<p class='wb-mention'><small>{html.escape(source_mention())}</small></p>")


class TablePanel(W.VBox):
    def __init__(self) -> None:
        self.html = W.HTML()
        super().__init__([self.html])
        self.add_class("wb-table")
        self.long: pd.DataFrame | None = None

    def show(self, long: pd.DataFrame) -> None:
        self.long = long
        self.html.value = table_html(long)


class ExportButton(W.VBox):
    """Writes the views on screen to an Excel workbook and offers it as a download link."""

    def __init__(self, views: Callable[[], list[ExportView]], title: Callable[[], str] | str =
                 "Export", folder=None) -> None:
        self.views = views
        self.title = title
        self.folder = folder
        self.button = _classed(W.Button(description="Exporter en Excel", icon="download",
                                        tooltip="Classeur Excel de ce qui est affiché"),
                               "wb-export-button")
        self.link = _classed(W.HTML(), "wb-export-link")
        super().__init__([self.button, self.link])
        self.add_class("wb-export")
        self.button.on_click(lambda _: self.export())
        self.path = None

    def export(self):
        """Write the workbook now; return its path (also used by tests and reports)."""
        title = self.title() if callable(self.title) else self.title
        folder = self.folder or (paths().reports / "exports")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        safe = "".join(ch if ch.isalnum() else "_" for ch in title)[:60]
        try:
            self.path = export_workbook(self.views(), folder / f"{safe}-{stamp}.xlsx", title)
        except (PublishedBaseError, KeyError, ValueError) as exc:
            self.link.value = f"<span class='wb-error'>Export impossible : {html.escape(str(exc))}</span>"
            return None
        data = base64.b64encode(self.path.read_bytes()).decode()
        self.link.value = (
            f"<a download='{html.escape(self.path.name)}' href='data:application/"
            f"vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{data}'>"
            f"Télécharger {html.escape(self.path.name)}</a>")
        return self.path


class MapPanel(W.VBox):
    def __init__(self, base: PublishedBase, basemap: str | None = None) -> None:
        self.map = ChoroplethMap(base, basemap)
        d = dictionary()
        eq = d.indicator("distance_equipement")
        self.equipment = _classed(W.Dropdown(
            options=[("Aucun", "")] + [(lab, c) for c, lab in eq.categories.items()],
            description="Équipements"), "wb-map-equipment")
        self.equipment.observe(lambda ch: self.map.show_equipment(ch["new"] or None),
                               names="value")
        super().__init__([self.map.widget, self.equipment])
        self.add_class("wb-map-panel")

    def show(self, vintage: int, indicator: str, category: str, scale: str,
             commune: str | None = None) -> pd.DataFrame | None:
        frame = self.map.show(vintage, indicator, category, scale, commune)
        if self.equipment.value:
            self.map.show_equipment(self.equipment.value)
        return frame


def _error_box() -> W.HTML:
    return _classed(W.HTML(), "wb-error")


class Explorer(W.VBox):
    """The main exploration panel: choose, see on the map, compare, read, export."""

    def __init__(self, base: PublishedBase | None = None, basemap: str | None = None,
                 indicator: str = "revenus", category: str = "<20", scale: str = "iris") -> None:
        self.base = base or PublishedBase()
        self.vintage = VintageSelector(self.base)
        self._ready = False
        self.indicators = IndicatorSelector(indicator=indicator)
        if category:
            self.indicators.set(indicator, category)
        self.scale = ScaleSelector(value=scale)
        self.territory = TerritoryPicker(self.base, self.vintage.value)
        self.map = MapPanel(self.base, basemap)
        self.comparison = ChartPanel("wb-chart-comparison")
        self.evolution = ChartPanel("wb-chart-evolution")
        self.table = TablePanel()
        self.export = ExportButton(self.views, self.title)
        self.error = _error_box()
        self._table_key: tuple | None = None
        controls = _classed(W.HBox([W.VBox([self.vintage, self.scale, self.indicators]),
                                    self.territory]), "wb-controls")
        super().__init__([controls, self.error, self.map,
                          _classed(W.HBox([self.comparison, self.evolution]), "wb-charts"),
                          self.table, self.export])
        self.add_class("wb-explorer")
        for sel in (self.vintage, self.indicators, self.scale, self.territory):
            sel.on_change(self.refresh)
        self._ready = True
        self.refresh()

    def title(self) -> str:
        ind, _ = self.indicators.value
        t = self.territory.value
        return f"{dictionary().indicator(ind).label} — {t.name if t else ''}"

    def _long(self) -> pd.DataFrame:
        ind, _ = self.indicators.value
        t = self.territory.value
        scale = self.scale.value
        ids = None
        if t is not None and t.commune and scale not in ("commune", "epci"):
            areas = self.base.areas(self.vintage.value, scale)
            ids = list(areas.loc[areas["commune"] == t.commune, "area_id"])
        return indicator_long(self.base, self.vintage.value, ind, scale, ids)

    def views(self) -> list[ExportView]:
        ind, _ = self.indicators.value
        d = dictionary()
        views = [ExportView(d.indicator(ind).label, self._long())]
        t = self.territory.value
        if t is not None and t.scale in d.indicator(ind).scales:
            chain = lineage(self.base, self.vintage.value, t.area_id, t.scale)
            views.append(ExportView(f"Comparaison {t.name}",
                                    comparison_long(self.base, self.vintage.value, ind, chain)))
        return views

    def refresh(self) -> None:
        if not self._ready:
            return
        try:
            self._refresh()
            self.error.value = ""
        except (PublishedBaseError, KeyError, ValueError) as exc:
            self.error.value = f"<div class='wb-error'>Affichage impossible : " \
                               f"{html.escape(str(exc))}</div>"

    def _refresh(self) -> None:
        d = dictionary()
        ind_name, category = self.indicators.value
        ind = d.indicator(ind_name)
        geo_scales = tuple(s for s in ind.scales if s in GEO_SCALES) or ("commune",)
        self.scale.restrict(geo_scales)
        t = self.territory.value
        vintage = self.vintage.value
        scale = self.scale.value
        self.map.show(vintage, ind_name, category, scale, t.commune if t else None)
        # the table lists the areas of the scale (within the commune below it): a change of
        # territory at the commune scale leaves it as it is, and it is not re-sent
        table_key = (vintage, ind_name, scale,
                     t.commune if t is not None and scale not in ("commune", "epci") else None)
        if table_key != self._table_key:
            self._table_key = None
            self.table.show(self._long())
            self._table_key = table_key
        if t is not None and t.scale in ind.scales:
            chain = lineage(self.base, vintage, t.area_id, t.scale)
            self.comparison.show(comparison_chart(comparison_long(self.base, vintage, ind_name,
                                                                  chain)))
            evo = self.base.evolution(ind_name, category if ind.kind != "class" else "", t.scale,
                                      t.area_id)
            if ind.kind != "class":
                self.evolution.show(evolution_chart(evo, ind_name,
                                                    f"Évolution — {t.name}"))
            else:
                self.evolution.clear()
        else:
            self.comparison.clear()
            self.evolution.clear()


class FichePanel(W.VBox):
    """The résidence sheet as widgets (identity, profile chart, fragility, guidance)."""

    def __init__(self, base: PublishedBase | None = None, vintage: int | None = None,
                 residence_id: str | None = None) -> None:
        from workbench.charts import fragility_drivers_chart

        self._drivers_chart = fragility_drivers_chart
        self.base = base or PublishedBase()
        self.vintage = vintage or self.base.latest()
        self.picker = TerritoryPicker(self.base, self.vintage)
        self.body = W.Output()
        self.export = ExportButton(self.views, lambda: f"Fiche {self.sheet.name}"
                                   if self.sheet else "Fiche")
        super().__init__([self.picker, self.body, self.export])
        self.add_class("wb-fiche")
        self.sheet = None
        self.picker.on_change(self.refresh)
        if residence_id:
            self.picker.select("residence", residence_id)
        self.refresh()

    def views(self) -> list[ExportView]:
        if self.sheet is None:
            return []
        s = self.sheet
        ident = pd.DataFrame(list(s.identity.items()), columns=["Rubrique", "Valeur"])
        views = [ExportView("Identité", frame=ident, notes=s.recommendations)]
        for name in dict.fromkeys(s.profile["indicator"]):
            long = s.profile[s.profile["indicator"] == name]
            views.append(ExportView(str(long["indicator_label"].iloc[0]), long))
        return views

    def refresh(self) -> None:
        """Replace the sheet (outputs set from the kernel: no capture and echo round trip)."""
        from workbench.fiche import sheet_markdown

        t = self.picker.value
        if t is None or t.scale != "residence":
            self.sheet = None
            hint = "Choisissez une résidence (commune puis résidence)."
            self.body.outputs = ({"output_type": "display_data", "metadata": {},
                                  "data": {"text/html": f"<p>{hint}</p>", "text/plain": hint}},)
            return
        self.sheet = residence_sheet(self.base, self.vintage, t.area_id)
        text = sheet_markdown(self.sheet)
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {"text/markdown": text, "text/plain": text}}]
        for name in ("revenus", "composition", "activite"):
            long = self.sheet.profile[self.sheet.profile["indicator"] == name]
            outputs.append(figure_output(comparison_chart(long)))
        method = dictionary().indicator("fragilite").method or {}
        outputs.append(figure_output(
            self._drivers_chart(self.sheet.drivers, float(method.get("ratio_alert", 1.2)))))
        self.body.outputs = tuple(outputs)


class AttributionsPanel(W.VBox):
    """CIET/CIA targets: a table of every area of a scale, met or missed, and the gauges."""

    def __init__(self, base: PublishedBase | None = None, scale: str = "commune") -> None:
        self.base = base or PublishedBase()
        self.vintage = VintageSelector(self.base)
        self.scale = ScaleSelector(("epci", "commune", "bailleur", "reservataire"), scale)
        self.table = _classed(W.HTML(), "wb-attributions-table")
        self.gauges = ChartPanel("wb-chart-targets")
        self.area = _classed(W.Dropdown(description="Zone"), "wb-attributions-area")
        self.export = ExportButton(self.views, "Objectifs d'attribution")
        super().__init__([W.HBox([self.vintage, self.scale, self.area]), self.table,
                          self.gauges, self.export])
        self.add_class("wb-attributions")
        self.vintage.on_change(self.refresh)
        self.scale.on_change(self.refresh)
        self.area.observe(lambda _: self._gauges(), names="value")
        self.refresh()

    def views(self) -> list[ExportView]:
        from workbench.charts import TARGET_INDICATORS

        return [ExportView(dictionary().indicator(n).label,
                           indicator_long(self.base, self.vintage.value, n, self.scale.value))
                for n in TARGET_INDICATORS]

    def refresh(self) -> None:
        from workbench.tables import targets_markdown_table, targets_table

        frame = targets_table(self.base, self.vintage.value, self.scale.value)
        self.table.value = targets_markdown_table(frame, html_output=True)
        areas = frame.drop_duplicates("area_id")
        options = [(n, a) for a, n in zip(areas["area_id"], areas["Zone"], strict=True)]
        keep = self.area.value if self.area.value in dict(options).values() else None
        self.area.options = options
        self.area.value = keep or (options[0][1] if options else None)
        self._gauges()

    def _gauges(self) -> None:
        if self.area.value:
            self.gauges.show(targets_chart(self.base, self.vintage.value, self.scale.value,
                                           self.area.value))
