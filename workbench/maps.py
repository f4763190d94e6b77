"""Maps: an ipyleaflet choropleth for widgets and a tile-free plotly map for static reports.

The interactive map (``ChoroplethMap``) colours the areas of one scale by one indicator
category; withheld areas are grey and hovering them shows the reason from the dictionary
(« Secret statistique : moins de 11 ménages. ») in the info box. Commune outlines (and IRIS
outlines at close zoom) are always drawn, so the map stays readable without tiles. Résidences
appear as points sized by dwellings for the selected commune (outlined in red) or at close zoom.
An optional equipment layer colours résidences by distance to the nearest equipment of a family.
``show`` re-sends only the layers whose inputs changed, so a change of commune costs a few kB.

The basemap comes from ``WORKBENCH_BASEMAP``: ``osm`` (OpenStreetMap, online) or ``none``
(offline; the default when unset is ``osm``).

API::

    m = ChoroplethMap(base)                        # m.widget is the ipyleaflet Map
    m.show(2024, "revenus", "<20", "iris", commune="59350")
    m.show_equipment("ecole")                      # or None to hide
    static_map(base, 2024, "revenus", "<20", "commune")   # go.Figure, no tiles

CSS classes: ``wb-map`` (Map), ``wb-map-info`` (hover box), ``wb-map-legend`` (legend box).
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.published import PublishedBase
from workbench.tables import format_value, indicator_long

WITHHELD_COLOR = "#bdbdbd"
NO_DATA_COLOR = "#f4f4f4"
SEQUENTIAL = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]
CLASS_COLORS = {"EQUILIBRE": "#1a9641", "VIGILANCE": "#fdae61", "FRAGILE": "#f46d43",
                "TRES_FRAGILE": "#a50026"}
DISTANCE_BINS = [(300, "#1a9641", "moins de 300 m"), (500, "#a6d96a", "300 à 500 m"),
                 (1000, "#fdae61", "500 m à 1 km"), (float("inf"), "#d7191c", "plus de 1 km")]
MEL_CENTER = (50.63, 3.06)
RESIDENCE_ZOOM = 14
IRIS_ZOOM = 13


def basemap_name() -> str:
    """``osm`` or ``none`` from WORKBENCH_BASEMAP (anything else means none)."""
    value = os.environ.get("WORKBENCH_BASEMAP", "osm").strip().lower()
    return "osm" if value in ("osm", "openstreetmap") else "none"


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def classify(values: pd.Series, n: int = 5) -> list[float]:
    """Quantile class bounds of published values (upper bounds, last one = max)."""
    vals = values.dropna().to_numpy(dtype=float)
    if len(vals) == 0:
        return []
    qs = np.unique(np.quantile(vals, np.linspace(0, 1, n + 1)[1:]))
    return [float(q) for q in qs]


def colour_for(value: float, bounds: list[float]) -> str:
    idx = int(np.searchsorted(bounds, value, side="left"))
    palette = SEQUENTIAL[-len(bounds):] if len(bounds) <= len(SEQUENTIAL) else SEQUENTIAL
    return palette[min(idx, len(palette) - 1)]


def map_frame(base: PublishedBase, vintage: int, indicator: str, category: str, scale: str,
              commune: str | None = None) -> pd.DataFrame:
    """Areas of a scale with geometry, display text, colour and tooltip (safe to show)."""
    d = dictionary()
    ind = d.indicator(indicator)
    areas = base.areas(vintage, scale)
    if commune and scale not in ("commune", "epci"):
        areas = areas[areas["commune"] == commune]
    long = indicator_long(base, vintage, indicator, scale, list(areas["area_id"]))
    if ind.kind != "class":
        long = long[long["category"] == (category or "")]
    cells = long.drop_duplicates("area_id").set_index("area_id")
    frame = areas[["area_id", "name", "geometry"]].copy()
    frame = frame[frame.geometry.notna()]
    def text_of(column: str, missing: str = "") -> pd.Series:
        # object first: an indicator with no cell here maps to all-NaN floats
        return frame["area_id"].map(cells[column]).astype(object).fillna(missing)

    frame["status"] = text_of("status")
    frame["value"] = frame["area_id"].map(cells["value"])
    frame["text"] = text_of("text", "Pas de donnée")
    frame["explanation"] = text_of("explanation")
    frame["category"] = text_of("category")
    published = frame["status"] == "published"
    if ind.kind == "class":
        frame["colour"] = [CLASS_COLORS.get(c, NO_DATA_COLOR) for c in frame["category"]]
        bounds: list[float] = []
    else:
        bounds = classify(frame.loc[published, "value"])
        frame["colour"] = [colour_for(v, bounds) if ok else NO_DATA_COLOR
                           for v, ok in zip(frame["value"], published, strict=True)]
    frame.loc[~published & (frame["status"] != ""), "colour"] = WITHHELD_COLOR
    frame["tooltip"] = [
        f"{n} : {t}" if s == "published" else (f"{n} : {e}" if s else f"{n} : {t}")
        for n, t, s, e in zip(frame["name"], frame["text"], frame["status"],
                              frame["explanation"], strict=True)
    ]
    frame.attrs["bounds"] = bounds
    frame.attrs["kind"] = ind.kind
    return frame


def legend_items(frame: pd.DataFrame, indicator: str) -> dict[str, str]:
    """Legend label -> colour for a map frame (withheld entry only when present)."""
    d = dictionary()
    ind = d.indicator(indicator)
    items: dict[str, str] = {}
    if frame.attrs.get("kind") == "class":
        for code, colour in CLASS_COLORS.items():
            items[ind.category_label(code)] = colour
    else:
        bounds = frame.attrs.get("bounds", [])
        palette = SEQUENTIAL[-len(bounds):] if bounds else []
        low = None
        for b, colour in zip(bounds, palette, strict=False):
            hi = format_value(b, ind.kind, ind.unit_label)
            label = f"jusqu'à {hi}" if low is None else f"{low} à {hi}"
            items[label] = colour
            low = hi
    if (frame["colour"] == WITHHELD_COLOR).any():
        items["Non diffusé (secret statistique)"] = WITHHELD_COLOR
    if (frame["status"] == "").any():
        items["Pas de donnée"] = NO_DATA_COLOR
    return items


def _features(frame: pd.DataFrame, props: list[str]) -> dict:
    """GeoJSON with each feature's Leaflet style precomputed in ``properties.style``.

    Styling here rather than through ``style_callback`` avoids ipyleaflet's deep copy of the
    whole collection on every update.
    """
    geo = json.loads(frame[[*props, "geometry"]].to_json(drop_id=True, na="null"))
    for feature in geo["features"]:
        feature["properties"]["style"] = _style(feature)
    return geo


OUTLINE_STYLES = {
    "commune": {"color": "#444", "weight": 1.2, "fillOpacity": 0},
    "iris": {"color": "#888", "weight": 0.6, "fillOpacity": 0, "dashArray": "3"},
}
SELECTION_STYLE = {"color": "#d62728", "weight": 3, "fillOpacity": 0, "opacity": 0.9}


def _no_features() -> dict:
    return {"type": "FeatureCollection", "features": []}


@functools.lru_cache(maxsize=16)
def _outline_geojson(root: str, vintage: int, scale: str) -> str:
    """Outlines of a scale, each feature pre-styled (``properties.style``).

    A layer-level ``style`` makes ipyleaflet deep-copy and re-send the whole collection on
    every assignment; styling the features once here lets an unchanged outline cost nothing.
    """
    base = PublishedBase(root)
    areas = base.areas(vintage, scale)
    areas = areas[areas.geometry.notna()][["area_id", "name", "geometry"]].copy()
    areas["geometry"] = areas.geometry.boundary
    geo = json.loads(areas.to_json(drop_id=True))
    style = OUTLINE_STYLES.get(scale, OUTLINE_STYLES["commune"])
    for feature in geo["features"]:
        feature["properties"]["style"] = style
    return json.dumps(geo)


def _outline(root: str, vintage: int, scale: str, area_id: str | None = None) -> dict:
    """A fresh dict of the outlines of a scale (or of one area of it, for the selection)."""
    geo = json.loads(_outline_geojson(root, vintage, scale))
    if area_id is not None:
        geo["features"] = [f for f in geo["features"] if f["properties"]["area_id"] == area_id]
        for feature in geo["features"]:
            feature["properties"]["style"] = SELECTION_STYLE
    return geo


class ChoroplethMap:
    """The interactive map widget (ipyleaflet), updated in place by ``show``."""

    def __init__(self, base: PublishedBase, basemap: str | None = None) -> None:
        import ipyleaflet as L
        import ipywidgets as W

        self.base = base
        self.L = L
        self.basemap = basemap or basemap_name()
        layers = (L.basemap_to_tiles(L.basemaps.OpenStreetMap.Mapnik),) \
            if self.basemap == "osm" else ()
        self.widget = L.Map(center=MEL_CENTER, zoom=11, prefer_canvas=True, layers=layers,
                            scroll_wheel_zoom=True, attribution_control=True,
                            layout=W.Layout(height="520px", width="100%"))
        self.widget.add_class("wb-map")
        self.info = W.HTML("<b>Survolez une zone</b>")
        self.info.add_class("wb-map-info")
        self.widget.add(L.WidgetControl(widget=self.info, position="topright"))
        self.legend = W.HTML("")
        self.legend.add_class("wb-map-legend")
        self.widget.add(L.WidgetControl(widget=self.legend, position="bottomright"))
        mention = W.HTML(f"<small>{source_mention()}</small>")
        mention.add_class("wb-map-mention")
        self.widget.add(L.WidgetControl(widget=mention, position="bottomleft"))
        self.choropleth = L.GeoJSON(data=_no_features(),
                                    hover_style={"weight": 3},
                                    name="Indicateur")
        self.choropleth.on_hover(self._on_hover)
        self.communes = L.GeoJSON(data=_no_features(), name="Communes")
        self.iris = L.GeoJSON(data=_no_features(), name="IRIS")
        self.selection = L.GeoJSON(data=_no_features(), name="Commune choisie")
        self.residences = L.GeoJSON(data=_no_features(),
                                    point_style={"radius": 4, "weight": 1, "color": "#222",
                                                 "fillOpacity": 0.8},
                                    name="Résidences")
        self.residences.on_hover(self._on_hover)
        self.equipment = L.GeoJSON(data=_no_features(),
                                   point_style={"radius": 5, "weight": 1, "color": "#222",
                                                "fillOpacity": 0.9},
                                   name="Équipements")
        self.equipment.on_hover(self._on_hover)
        for layer in (self.choropleth, self.communes, self.selection, self.residences):
            self.widget.add(layer)
        self.widget.add(L.LayersControl(position="topleft"))
        self.widget.observe(self._on_zoom, names="zoom")
        self.state: dict[str, Any] = {}
        self.frame: pd.DataFrame | None = None
        self._drawn: dict[str, Any] = {}  # what each layer shows, to skip unchanged updates

    # -- updates -----------------------------------------------------------------------------
    def show(self, vintage: int, indicator: str, category: str, scale: str,
             commune: str | None = None, fit: bool = True) -> pd.DataFrame | None:
        """Draw one indicator category at one scale (optionally restricted to a commune).

        Only layers whose inputs changed are recomputed and sent: a change of commune at the
        commune scale re-sends the résidences and the selected outline (a few kB), not the
        choropleth nor the outlines (~200 kB on the demo).
        """
        d = dictionary()
        self.state = {"vintage": vintage, "indicator": indicator, "category": category,
                      "scale": scale, "commune": commune}
        ind = d.indicator(indicator)
        if scale not in ind.scales or not d.scales[scale].get("geographic", False) \
                or scale == "residence":
            key = (vintage, indicator, category, "commune", None) \
                if "commune" in ind.scales else None
        else:
            key = (vintage, indicator, category, scale,
                   commune if scale not in ("commune", "epci") else None)
        if self._changed("choropleth", key):
            try:
                frame = map_frame(self.base, *key) if key is not None else None
            except Exception:
                del self._drawn["choropleth"]
                raise
            self.frame = frame
            if frame is not None:
                self.choropleth.data = _features(frame, ["area_id", "tooltip", "colour"])
                self.legend.value = self._legend_html(frame, indicator, category)
            else:  # not mapped at any scale: no stale colours from the previous indicator
                self.choropleth.data = _no_features()
                self.legend.value = ""
            if fit and frame is not None and len(frame):
                self.widget.center, self.widget.zoom = view_for(frame.total_bounds)
        frame = self.frame
        root = str(self.base.root)
        if self._changed("communes", vintage):
            self.communes.data = _outline(root, vintage, "commune")
            self._drawn.pop("iris", None)
            if self.iris in self.widget.layers:
                self.iris.data = _outline(root, vintage, "iris")
                self._drawn["iris"] = vintage
        if self._changed("selection", (vintage, commune)):
            self.selection.data = _outline(root, vintage, "commune", commune) if commune \
                else _no_features()
        self._update_residences()
        return frame

    def _changed(self, layer: str, key: Any) -> bool:
        """Record what ``layer`` will show; False when it already shows exactly that."""
        if layer in self._drawn and self._drawn[layer] == key:
            return False
        self._drawn[layer] = key
        return True

    def _legend_html(self, frame: pd.DataFrame, indicator: str, category: str) -> str:
        ind = dictionary().indicator(indicator)
        title = ind.label if ind.kind == "class" else \
            f"{ind.label}<br>{ind.category_label(category)}" if category else ind.label
        rows = "".join(
            f"<div><span style='display:inline-block;width:12px;height:12px;background:{c};"
            f"border:1px solid #777;margin-right:4px'></span>{label}</div>"
            for label, c in legend_items(frame, indicator).items()
        )
        return f"<div style='font-size:11px;max-width:220px'><b>{title}</b>{rows}</div>"

    def _residence_frame(self) -> pd.DataFrame | None:
        st = self.state
        if not st:
            return None
        res = self.base.areas(st["vintage"], "residence")
        res = res[res.geometry.notna()]
        if st.get("commune"):
            res = res[res["commune"] == st["commune"]]
        elif self.widget.zoom >= RESIDENCE_ZOOM:
            (s, w), (n, e) = self.widget.bounds or ((-90, -180), (90, 180))
            res = res.cx[w:e, s:n]
        else:
            return None
        return res

    def _update_residences(self) -> None:
        res = self._residence_frame()
        st = self.state
        ids = tuple(res["area_id"]) if res is not None else ()
        if not self._changed("residences", (st.get("vintage"), ids)):
            return
        if res is None or res.empty:
            self.residences.data = _no_features()
            return
        long = indicator_long(self.base, st["vintage"], "logements", "residence",
                              list(res["area_id"]))
        n = long.drop_duplicates("area_id").set_index("area_id")
        frame = res[["area_id", "name", "geometry"]].copy()
        frame["text"] = frame["area_id"].map(n["text"]).fillna("")
        size = frame["area_id"].map(n["value"])
        frame["radius"] = np.clip(3 + np.sqrt(size.fillna(0).to_numpy()) / 1.5, 3, 14)
        frame["colour"] = np.where(size.notna(), "#ff7f0e", WITHHELD_COLOR)
        frame["tooltip"] = [f"{a} — logements sociaux : {t}" for a, t in
                            zip(frame["name"], frame["text"], strict=True)]
        self.residences.data = _features(frame, ["area_id", "tooltip", "colour", "radius"])

    def show_equipment(self, family: str | None) -> pd.DataFrame | None:
        """Colour résidences by distance to the nearest equipment of a family (None hides)."""
        if family is None:
            if self.equipment in self.widget.layers:
                self.widget.remove(self.equipment)
            return None
        st = self.state
        res = self.base.areas(st["vintage"], "residence")
        res = res[res.geometry.notna()]
        if st.get("commune"):
            res = res[res["commune"] == st["commune"]]
        long = indicator_long(self.base, st["vintage"], "distance_equipement", "residence",
                              list(res["area_id"]))
        long = long[long["category"] == family].set_index("area_id")
        frame = res[["area_id", "name", "geometry"]].copy()
        dist = frame["area_id"].map(long["value"])
        frame["colour"] = [next(c for b, c, _ in DISTANCE_BINS if v < b) if not _empty(v)
                           else WITHHELD_COLOR for v in dist]
        label = dictionary().indicator("distance_equipement").category_label(family)
        frame["tooltip"] = [f"{n} — {label} : {t}" for n, t in
                            zip(frame["name"], frame["area_id"].map(long["text"]).fillna(""),
                                strict=True)]
        frame["radius"] = 5
        self.equipment.data = _features(frame, ["area_id", "tooltip", "colour", "radius"])
        if self.equipment not in self.widget.layers:
            self.widget.add(self.equipment)
        return frame

    # -- events ------------------------------------------------------------------------------
    def _on_hover(self, feature: dict | None = None, **_: Any) -> None:
        if feature:
            self.info.value = f"<div style='max-width:260px'>{feature['properties']['tooltip']}" \
                              "</div>"

    def _on_zoom(self, change: dict) -> None:
        show_iris = change["new"] >= IRIS_ZOOM
        if show_iris and self.iris not in self.widget.layers and self.state:
            vintage = self.state["vintage"]
            if self._changed("iris", vintage):
                self.iris.data = _outline(str(self.base.root), vintage, "iris")
            self.widget.add(self.iris)
        elif not show_iris and self.iris in self.widget.layers:
            self.widget.remove(self.iris)
        if not self.state.get("commune"):
            self._update_residences()


def view_for(bounds, width_px: int = 900, height_px: int = 520) -> tuple[tuple[float, float], int]:
    """Centre and zoom showing lon/lat bounds (synchronous, unlike ipyleaflet's fit_bounds)."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    center = ((miny + maxy) / 2, (minx + maxx) / 2)

    def merc(lat: float) -> float:
        return np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))

    lon_span = max(maxx - minx, 1e-6) / 360
    lat_span = max(merc(maxy) - merc(miny), 1e-9) / (2 * np.pi)
    zoom = min(np.log2(width_px / 256 / lon_span), np.log2(height_px / 256 / lat_span))
    return center, int(max(1, min(18, np.floor(zoom))))


def _style(feature: dict) -> dict:
    p = feature["properties"]
    style = {"fillColor": p.get("colour", NO_DATA_COLOR), "fillOpacity": 0.75,
             "color": "#555", "weight": 0.6}
    if p.get("radius") is not None:
        style["radius"] = p["radius"]
    return style


def static_map(base: PublishedBase, vintage: int, indicator: str, category: str, scale: str,
               commune: str | None = None, title: str | None = None) -> go.Figure:
    """The same choropleth as a plotly figure drawn on plain axes (no tiles, no CDN).

    Polygons are filled scatter traces (one per legend class), so the figure renders offline
    in HTML and PDF reports; the aspect ratio is corrected for the latitude.
    """
    frame = map_frame(base, vintage, indicator, category, scale, commune)
    ind = dictionary().indicator(indicator)
    fig = go.Figure()
    for label, colour in legend_items(frame, indicator).items():
        sel = frame[frame["colour"] == colour]
        if sel.empty:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        texts: list[str | None] = []
        for geom, tip in zip(sel.geometry, sel["tooltip"], strict=True):
            for poly in getattr(geom, "geoms", [geom]):
                ring = getattr(poly, "exterior", None)
                if ring is None:
                    continue
                x, y = ring.xy
                xs += [*x, None]
                ys += [*y, None]
                texts += [tip] * len(x) + [None]
        fig.add_scatter(x=xs, y=ys, fill="toself", fillcolor=colour, mode="lines",
                        line={"color": "#555", "width": 0.5}, name=label, text=texts,
                        hoverinfo="text", hoveron="fills+points")
    lat = float(frame.total_bounds[1] + frame.total_bounds[3]) / 2 if len(frame) else 50.6
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / np.cos(np.radians(lat)))
    head = title or (ind.label if ind.kind == "class"
                     else f"{ind.label} — {ind.category_label(category)}")
    fig.update_layout(
        title={"text": head, "x": 0, "subtitle": {"text": source_mention(),
                                                  "font": {"size": 10, "color": "#555"}}},
        height=560, margin={"l": 0, "r": 0, "t": 75, "b": 10}, template="plotly_white",
        legend={"orientation": "h", "y": 0, "yanchor": "top"}, hovermode="closest",
    )
    return fig
