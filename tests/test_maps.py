"""Maps: every area drawn, withheld areas grey with the dictionary reason, no tiles offline."""

from __future__ import annotations

import pytest

from workbench.dictionary import dictionary
from workbench.maps import (
    WITHHELD_COLOR,
    ChoroplethMap,
    basemap_name,
    legend_items,
    map_frame,
    static_map,
)
from workbench.published import PublishedBase


@pytest.fixture(scope="module")
def base(demo_home):
    return PublishedBase()


def test_withheld_areas_are_grey_with_their_reason(base):
    v = base.latest()
    d = dictionary()
    frame = map_frame(base, v, "revenus", "<20", "iris")
    raw = base.indicators(v, indicator="revenus", scale="iris")
    raw = raw[raw.category == "<20"].set_index("area_id")
    withheld = frame[frame["status"].isin(set(d.statuses) - {"published"})]
    assert len(withheld) > 0
    for row in withheld.itertuples():
        assert row.colour == WITHHELD_COLOR
        expected = d.explanation(raw.loc[row.area_id, "status"], "occupation", "iris")
        assert row.tooltip == f"{row.name} : {expected}"
    published = frame[frame["status"] == "published"]
    assert (published["colour"] != WITHHELD_COLOR).all()
    assert "Non diffusé (secret statistique)" in legend_items(frame, "revenus")


def test_interactive_map_offline(base, monkeypatch):
    monkeypatch.setenv("WORKBENCH_BASEMAP", "none")
    assert basemap_name() == "none"
    m = ChoroplethMap(base)
    assert "wb-map" in m.widget._dom_classes
    assert not any(type(layer).__name__ == "TileLayer" for layer in m.widget.layers)
    v = base.latest()
    frame = m.show(v, "revenus", "<20", "commune")
    communes = base.areas(v, "commune")
    assert len(m.choropleth.data["features"]) == len(frame) == communes.geometry.notna().sum()
    assert len(m.communes.data["features"]) == len(communes)
    assert m.residences.data["features"] == []  # not at this zoom, no commune chosen
    minx, miny, maxx, maxy = communes.total_bounds
    assert miny < m.widget.center[0] < maxy and minx < m.widget.center[1] < maxx
    assert m.widget.zoom < 14  # the whole metropolis is in view
    commune = base.areas(v, "residence")["commune"].value_counts().index[0]
    m.show(v, "revenus", "<20", "iris", commune=commune)
    res = base.areas(v, "residence")
    assert len(m.residences.data["features"]) == int((res["commune"] == commune).sum())
    feature = m.choropleth.data["features"][0]
    m._on_hover(feature=feature)
    assert feature["properties"]["tooltip"] in m.info.value
    eq = m.show_equipment("ecole")
    assert len(eq) == int((res["commune"] == commune).sum())
    assert m.equipment in m.widget.layers
    m.show_equipment(None)
    assert m.equipment not in m.widget.layers


def test_osm_basemap_when_online(base, monkeypatch):
    monkeypatch.setenv("WORKBENCH_BASEMAP", "osm")
    m = ChoroplethMap(base)
    assert any(type(layer).__name__ == "TileLayer" for layer in m.widget.layers)


def test_static_map_has_every_area_once(base):
    v = base.latest()
    fig = static_map(base, v, "fragilite", "", "commune")
    frame = map_frame(base, v, "fragilite", "", "commune")
    tips = {t for trace in fig.data for t in trace.text if t}
    assert tips == set(frame["tooltip"])
    communes = base.areas(v, "commune")
    assert len(frame) == communes.geometry.notna().sum()
    names = {t.name for t in fig.data}
    labels = set(dictionary().indicator("fragilite").categories.values())
    assert names & labels


def test_commune_change_sends_only_the_layers_that_depend_on_it(base, monkeypatch):
    """At the commune scale, a new commune re-sends the résidences and the selected outline,
    never the choropleth nor the outlines (the big GeoJSON layers)."""
    monkeypatch.setenv("WORKBENCH_BASEMAP", "none")
    m = ChoroplethMap(base)
    v = base.latest()
    m.show(v, "revenus", "<20", "commune")
    sent: list[str] = []
    for name in ("choropleth", "communes", "iris", "selection", "residences"):
        getattr(m, name).observe(lambda _ch, n=name: sent.append(n), names="data")
    res = base.areas(v, "residence")
    first, second = (str(c) for c in res["commune"].value_counts().index[:2])
    m.show(v, "revenus", "<20", "commune", commune=first)
    assert set(sent) == {"selection", "residences"}
    assert [f["properties"]["area_id"] for f in m.selection.data["features"]] == [first]
    assert len(m.residences.data["features"]) == int((res["commune"] == first).sum())
    sent.clear()
    m.show(v, "revenus", "<20", "commune", commune=first)
    assert sent == []  # nothing changed, nothing sent
    m.show(v, "revenus", "<20", "commune", commune=second)
    assert set(sent) == {"selection", "residences"}
    sent.clear()
    m.show(v, "revenus", "40-60", "commune", commune=second)
    assert sent == ["choropleth"]
    m.show(v, "revenus", "40-60", "commune")
    assert m.selection.data["features"] == [] and m.residences.data["features"] == []
