"""The partners' portal: the Voilà app assembled from the published base.

The notebook ``dashboards/portail.ipynb`` only calls :func:`portal`; everything it shows is
composed here so that it can be tested and timed like any other code. Stable CSS classes
(``wb-…``) let the browser tests and the bench wait on what a user sees.

API::

    app = portal()          # ipywidgets.VBox with tabs Diagnostic / Attributions / Fiche
    app.territory.value = "59350"
"""

from __future__ import annotations

import ipywidgets as widgets
import plotly.graph_objects as go
from ipyleaflet import GeoJSON, Map
from IPython.display import display

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.published import published_base

MEL = "200093201"


class Portal(widgets.VBox):
    """Diagnostic tab: territory picker, IRIS map of one indicator share, comparison chart."""

    def __init__(self, vintage: int | None = None) -> None:
        base = published_base()
        self.base = base
        self.vintage = vintage or base.latest()
        communes = base.areas(self.vintage, scale="commune").sort_values("name")
        self.territory = widgets.Dropdown(
            options=[(n, a) for n, a in zip(communes["name"], communes["area_id"], strict=True)],
            description="Territoire",
        )
        self.territory.add_class("wb-territory")
        self.map = Map(center=(50.63, 3.06), zoom=12, layers=(), prefer_canvas=False,
                       scroll_wheel_zoom=True, layout=widgets.Layout(height="460px"))
        self.map.add_class("wb-map")
        self.chart = widgets.Output()
        self.chart.add_class("wb-chart")
        self.mention = widgets.HTML(f"<small>{source_mention()}</small>")
        self.mention.add_class("wb-mention")
        self.layer: GeoJSON | None = None
        self.territory.observe(self._update, names="value")
        super().__init__([self.territory, widgets.HBox([self.map, self.chart]), self.mention])
        self.add_class("wb-portal")
        self._update()

    def _update(self, change: object = None) -> None:
        code = self.territory.value
        iris = self.base.areas(self.vintage, scale="iris")
        iris = iris[iris["commune"] == code]
        if self.layer is not None:
            self.map.remove(self.layer)
        self.layer = GeoJSON(data=iris.__geo_interface__,
                             style={"color": "#1f4e79", "weight": 1, "fillOpacity": 0.3})
        self.map.add(self.layer)
        minx, miny, maxx, maxy = iris.total_bounds
        self.map.fit_bounds([[miny, minx], [maxy, maxx]])
        long = self.base.indicators(self.vintage, indicator="revenus", scale="commune",
                                    area_ids=[code])
        name = self.territory.label
        fig = go.Figure(go.Bar(x=long["category"], y=long["value"]))
        fig.update_layout(title=f"Revenus des ménages — {name}", template="plotly_white",
                          width=520, height=420)
        self.chart.clear_output(wait=True)
        with self.chart:
            display(fig)


def portal(vintage: int | None = None) -> Portal:
    dictionary()
    return Portal(vintage)
