"""Panels as real ipywidgets objects driven like a user would (no browser here)."""

from __future__ import annotations

import html

import openpyxl
import pytest

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.panels import (
    PLOTLY_MIME,
    AttributionsPanel,
    Explorer,
    FichePanel,
    IndicatorSelector,
    TerritoryPicker,
    table_html,
)
from workbench.published import PublishedBase
from workbench.tables import MET, MISSED, indicator_long, targets_table


@pytest.fixture(scope="module")
def base(demo_home):
    return PublishedBase()


@pytest.fixture()
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_BASEMAP", "none")
    return tmp_path


def test_indicator_selector_uses_dictionary_labels():
    sel = IndicatorSelector()
    d = dictionary()
    calls = []
    sel.on_change(lambda: calls.append(sel.value))
    sel.set("typologie", "T3")
    assert sel.value == ("typologie", "T3")
    assert dict(sel.category.options)[d.indicator("typologie").category_label("T3")] == "T3"
    assert calls == [("typologie", "T3")]
    assert "wb-indicator" in sel.indicator._dom_classes


def test_territory_picker_cascades(base):
    v = base.latest()
    picker = TerritoryPicker(base, v)
    assert picker.value.scale == "epci"
    res = base.areas(v, "residence").iloc[0]
    picker.select("residence", res.area_id)
    assert picker.value.area_id == res.area_id and picker.value.commune == res["commune"]
    assert picker.commune.value == res["commune"]
    assert res.area_id in [o[1] for o in picker.residence.options]
    key = next(k for k, (s, a) in picker._search_index.items() if s == "commune")
    picker.search.value = key
    assert picker.value.scale == "commune"
    assert picker.value.area_id == picker._search_index[key][1]


def test_table_html_never_shows_withheld_numbers(base):
    long = indicator_long(base, base.latest(), "revenus", "iris")
    text = table_html(long, max_rows=10_000)
    d = dictionary()
    for row in long[long.status != "published"].itertuples():
        assert html.escape(d.explanation(row.status, "occupation", "iris")) in text
    assert source_mention() in text


def test_explorer_updates_and_exports(base, offline):
    e = Explorer(base, indicator="revenus", category="<20", scale="iris")
    assert e.error.value == ""
    assert "wb-explorer" in e._dom_classes
    v = base.latest()
    iris = base.areas(v, "iris").iloc[0]
    e.territory.select("iris", iris.area_id)
    assert len(e.map.map.choropleth.data["features"]) == int(
        (base.areas(v, "iris")["commune"] == iris["commune"]).sum())
    assert e.comparison.figure is not None
    e.indicators.set("fragilite")
    assert e.scale.value in dictionary().indicator("fragilite").scales
    e.export.folder = offline
    path = e.export.export()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0].startswith(dictionary().indicator("fragilite").label[:20])
    assert "Définitions" in wb.sheetnames and "Cellules non diffusées" in wb.sheetnames
    assert "Télécharger" in e.export.link.value


def test_fiche_panel_guidance(base, offline):
    v = base.latest()
    res = base.areas(v, "residence").iloc[0].area_id
    f = FichePanel(base, v, res)
    assert f.sheet is not None and f.sheet.residence_id == res
    assert "wb-fiche" in f._dom_classes
    kinds = [next(iter(o["data"])) for o in f.body.outputs]
    assert kinds == ["text/markdown"] + [PLOTLY_MIME] * 4  # sheet, 3 profiles, drivers
    assert f.sheet.name in f.body.outputs[0]["data"]["text/markdown"]
    f.export.folder = offline
    wb = openpyxl.load_workbook(f.export.export())
    texts = [c for row in wb["Identité"].iter_rows(values_only=True) for c in row if c]
    assert any("ne constituent en aucun cas une décision" in str(t) for t in texts)


def test_attribution_targets_verdicts(base):
    v = base.latest()
    frame = targets_table(base, v, "commune")
    d = dictionary()
    ind = d.indicator("objectif_q1_hors_qpv")
    raw = base.indicators(v, indicator=ind.name, scale="commune")
    raw = raw[raw.category == ind.target["category"]].set_index("area_id")
    col = f"{ind.label} : objectif"
    for row in frame.itertuples(index=False):
        r = raw.loc[row.area_id]
        verdict = frame.loc[frame.area_id == row.area_id, col].iloc[0]
        if r.status == "published":
            assert verdict == (MET if r.value >= ind.target["value"] else MISSED)
        else:
            assert verdict == "Non diffusé"
    panel = AttributionsPanel(base)
    assert "wb-attributions" in panel._dom_classes
    assert panel.gauges.figure is not None


def test_territory_change_redraws_charts_but_keeps_map_colours_and_table(base, offline):
    e = Explorer(base, indicator="revenus", category="<20", scale="commune")
    sent: list[str] = []
    e.table.html.observe(lambda _ch: sent.append("table"), names="value")
    e.map.map.choropleth.observe(lambda _ch: sent.append("choropleth"), names="data")
    v = base.latest()
    largest = base.areas(v, "residence")["commune"].value_counts().index[0]
    commune = base.areas(v, "commune").set_index("area_id", drop=False).loc[largest]
    e.territory.select("commune", commune.area_id)
    assert sent == []
    (evolution,) = e.evolution.out.outputs
    spec = evolution["data"][PLOTLY_MIME]
    assert spec["layout"]["title"]["text"] == f"Évolution — {commune['name']}"
    assert spec["config"]["locale"] == "fr"
    (comparison,) = e.comparison.out.outputs
    assert commune["name"] in {t["name"] for t in comparison["data"][PLOTLY_MIME]["data"]}
    e.scale.dropdown.value = "iris"
    assert sent == ["choropleth", "table"]
