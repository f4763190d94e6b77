"""Plotly figures: withheld cells never become bars or points; labels come from the dictionary."""

from __future__ import annotations

import pytest

from workbench.charts import (
    comparison_chart,
    evolution_chart,
    fragility_drivers_chart,
    ranking_chart,
    target_rows,
    targets_chart,
)
from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.fiche import drivers_table
from workbench.published import PublishedBase
from workbench.tables import comparison_long, indicator_long, lineage


@pytest.fixture(scope="module")
def base(demo_home):
    return PublishedBase()


def _annotations(fig) -> str:
    """Texts a reader sees around the plot: subtitle (mention, withheld note) and annotations."""
    return " ".join([fig.layout.title.subtitle.text or ""]
                    + [a.text for a in fig.layout.annotations])


def test_comparison_bars_are_only_published_values(base):
    v = base.latest()
    long = indicator_long(base, v, "revenus", "iris")
    withheld_area = long[long["status"] != "published"]["area_id"].iloc[0]
    chain = lineage(base, v, withheld_area, "iris")
    cmp = comparison_long(base, v, "revenus", chain)
    fig = comparison_chart(cmp)
    n_published = int((cmp["status"] == "published").sum())
    assert sum(len(t.y) for t in fig.data) == n_published
    shown = sorted(round(y, 6) for t in fig.data for y in t.y)
    assert shown == sorted(round(100 * x, 6) for x in cmp.loc[cmp.status == "published", "value"])
    assert "Non diffusé" in _annotations(fig)
    assert source_mention() in _annotations(fig)
    assert fig.layout.title.text == dictionary().indicator("revenus").label


def test_evolution_has_gaps_for_withheld_vintages(base):
    v = base.latest()
    long = indicator_long(base, v, "revenus", "commune")
    row = long[long["status"] == "published"].iloc[0]
    evo = base.evolution("revenus", row.category, "commune", row.area_id)
    fig = evolution_chart(evo, "revenus")
    ys = list(fig.data[0].y)
    for y, status in zip(ys, evo["status"], strict=True):
        assert (y is None or y != y) == (status != "published")


def test_targets_against_legal_thresholds(base):
    v = base.latest()
    epci = base.areas(v, "epci").iloc[0].area_id
    rows = target_rows(base, v, "epci", epci)
    d = dictionary()
    assert set(rows["target"]) == {d.indicator(n).target["value"] for n in rows["indicator"]}
    fig = targets_chart(base, v, "epci", epci)
    gauges = [t for t in fig.data if t.gauge and t.gauge.shape == "bullet"]
    assert len(gauges) == int((rows["status"] == "published").sum())
    for g, r in zip(gauges, rows[rows.status == "published"].itertuples(), strict=True):
        assert g.gauge.threshold.value == pytest.approx(100 * r.target)
        assert g.value == pytest.approx(100 * r.value)


def test_drivers_and_ranking(base):
    v = base.latest()
    commune = base.areas(v, "commune").iloc[0].area_id
    drivers = drivers_table(base, v, "commune", commune)
    fig = fragility_drivers_chart(drivers, 1.2)
    assert len(fig.data[0].x) == int(drivers["ratio"].notna().sum())
    long = indicator_long(base, v, "revenus", "commune")
    fig = ranking_chart(long, "<20", top=10)
    top = long[(long.category == "<20") & (long.status == "published")].nlargest(10, "value")
    assert list(fig.data[0].y) == list(top["name"])
