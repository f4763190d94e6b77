"""The partners' portal: the Voilà app composed of the panels of ``workbench.panels``.

The notebook ``dashboards/portail.ipynb`` only calls :func:`portal`; the composition lives
here so that it can be tested and timed like any other code. Only the first tab is built at
start-up: the others are built the first time a user opens them, which keeps the first view
fast (each panel reads the published base and draws its own figures).

API::

    app = portal()                 # Portal (ipywidgets.VBox), CSS class wb-portal
    app.show_tab("fiche")          # builds the « Fiche résidence » tab on first opening
    app.panel("diagnostic")        # the Explorer, once built

CSS classes: ``wb-portal``, ``wb-portal-header``, ``wb-tabs``, ``wb-tab-<key>``,
``wb-portal-mention`` (mandatory source mention), ``wb-loading`` (placeholder of an unbuilt tab).
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from workbench.config import source_mention
from workbench.published import PublishedBase, published_base

TABS: tuple[tuple[str, str], ...] = (
    ("diagnostic", "Diagnostic"),
    ("attributions", "Attributions"),
    ("fiche", "Fiche résidence"),
)

STYLE = """
<style>
.wb-portal { max-width: 1280px; margin: 0 auto; font-family: Marianne, Arial, sans-serif; }
.wb-portal-header h1 { font-size: 1.6em; margin: 0.2em 0; color: #1f4e79; }
.wb-portal-header p { margin: 0 0 0.6em 0; color: #444; }
.wb-portal-mention { color: #555; font-size: 0.85em; border-top: 1px solid #ddd; margin-top: 1em; }
.wb-error { color: #a4262c; }
.wb-map { min-height: 460px; width: 100%; }
</style>
"""


def _classed(widget: widgets.Widget, *classes: str) -> widgets.Widget:
    for css in classes:
        widget.add_class(css)
    return widget


def _builders(base: PublishedBase) -> dict[str, Callable[[], widgets.Widget]]:
    """How to build each tab (imports inside: a tab never opened costs nothing)."""

    def diagnostic() -> widgets.Widget:
        from workbench.panels import Explorer

        # the metropole by commune first: a quarter of the IRIS view's map and widget state
        return Explorer(base, scale="commune")

    def attributions() -> widgets.Widget:
        from workbench.panels import AttributionsPanel

        return AttributionsPanel(base)

    def fiche() -> widgets.Widget:
        from workbench.panels import FichePanel

        return FichePanel(base)

    return {"diagnostic": diagnostic, "attributions": attributions, "fiche": fiche}


class Portal(widgets.VBox):
    """Header, one tab per use (diagnostic, attributions, fiche résidence), source mention."""

    def __init__(self, base: PublishedBase | None = None) -> None:
        self.base = base or published_base()
        vintage = self.base.latest()
        self._build = _builders(self.base)
        self._panels: dict[str, widgets.Widget] = {}
        self._boxes = {
            key: _classed(widgets.VBox([_classed(widgets.HTML("<p>Chargement…</p>"),
                                                 "wb-loading")]), f"wb-tab-{key}")
            for key, _ in TABS
        }
        self.tabs = _classed(widgets.Tab(children=[self._boxes[k] for k, _ in TABS]), "wb-tabs")
        for i, (_, title) in enumerate(TABS):
            self.tabs.set_title(i, title)
        header = _classed(widgets.HTML(
            STYLE + "<h1>Parc locatif social de la Métropole Européenne de Lille</h1>"
            f"<p>Base publiée, millésime {vintage} — toutes les données respectent le secret "
            "statistique.</p>"), "wb-portal-header")
        mention = _classed(widgets.HTML(f"<p>{html.escape(source_mention())}</p>"),
                           "wb-portal-mention")
        super().__init__([header, self.tabs, mention])
        self.add_class("wb-portal")
        self.tabs.observe(self._on_tab, names="selected_index")
        self.show_tab(TABS[0][0])

    def show_tab(self, key: str) -> widgets.Widget:
        """Build the tab ``key`` if needed and return its panel."""
        if key not in self._panels:
            try:
                panel = self._build[key]()
            except Exception as exc:  # noqa: BLE001 - shown to the user, never raised
                panel = _classed(widgets.HTML(
                    f"<p class='wb-error'>Cet onglet ne peut pas s'afficher : "
                    f"{html.escape(str(exc))}</p>"), "wb-error")
            self._panels[key] = panel
            self._boxes[key].children = [panel]
        return self._panels[key]

    def panel(self, key: str) -> widgets.Widget | None:
        return self._panels.get(key)

    def _on_tab(self, change: dict) -> None:
        index = change["new"]
        if index is not None:
            self.show_tab(TABS[index][0])


def portal(base: PublishedBase | None = None) -> Portal:
    """The portal as shown by Voilà (``dashboards/portail.ipynb``)."""
    return Portal(base)
