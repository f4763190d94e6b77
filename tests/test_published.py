"""The published-base reader against the real demo pipeline output."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench.published import PublishedBase, PublishedBaseError, published_base


def test_vintages_match_folders(demo_home):
    base = PublishedBase()
    folders = sorted(int(p.name) for p in (demo_home / "published").iterdir() if p.name.isdigit())
    assert base.vintages() == folders
    assert base.latest() == folders[-1]


def test_indicators_filters_match_the_raw_file(demo_home):
    base = PublishedBase()
    vintage = base.latest()
    raw = pq.read_table(demo_home / "published" / str(vintage) / "indicators.parquet").to_pandas()
    assert len(base.indicators(vintage)) == len(raw)
    one = raw[(raw.scale == "commune")].iloc[0]
    got = base.indicators(vintage, theme=one.theme, indicator=one.indicator, scale="commune",
                          area_ids=[one.area_id])
    expected = raw[(raw.theme == one.theme) & (raw.indicator == one.indicator)
                   & (raw.scale == "commune") & (raw.area_id == one.area_id)]
    assert len(got) == len(expected) > 0
    assert set(got["category"]) == set(expected["category"])
    assert got["scale"].map(type).eq(str).all()


def test_withheld_rows_have_no_number(demo_home):
    df = PublishedBase().indicators(PublishedBase().latest())
    withheld = df[df["status"] != "published"]
    assert withheld[["base", "count", "value"]].isna().all().all()


def test_areas_are_geoparquet_in_wgs84(demo_home):
    base = PublishedBase()
    areas = base.areas(base.latest())
    assert areas.crs.to_epsg() == 4326
    communes = base.areas(base.latest(), scale="commune")
    assert (communes["scale"] == "commune").all() and len(communes) > 0
    first = communes.iloc[0]
    assert base.area(base.latest(), first.area_id, "commune")["name"] == first["name"]
    with pytest.raises(KeyError):
        base.area(base.latest(), "n'existe pas")


def test_manifest_is_the_json_file(demo_home):
    base = PublishedBase()
    v = base.latest()
    raw = json.loads((demo_home / "published" / str(v) / "manifest.json").read_text("utf-8"))
    assert base.manifest(v) == raw


def test_evolution_spans_vintages(demo_home):
    base = PublishedBase()
    v = base.latest()
    df = base.indicators(v, scale="commune")
    row = df[df["status"] == "published"].iloc[0]
    evo = base.evolution(row.indicator, row.category, "commune", row.area_id)
    assert list(evo["vintage"]) == sorted(evo["vintage"])
    assert set(evo["vintage"]) <= set(base.vintages())
    last = evo[evo["vintage"] == v].iloc[0]
    assert last["value"] == pytest.approx(row["value"])
    assert isinstance(evo, pd.DataFrame)


def test_missing_vintage_is_a_french_error(demo_home):
    with pytest.raises(PublishedBaseError, match="millésime 1900 n'est pas publié"):
        PublishedBase().manifest(1900)


def test_shared_reader_is_cached(demo_home):
    assert published_base() is published_base()


def test_empty_root_has_no_vintage(tmp_path):
    base = PublishedBase(tmp_path)
    assert base.vintages() == []
    with pytest.raises(PublishedBaseError, match="aucune base publiée"):
        base.latest()


def test_fast_path_equals_plain_filter(demo_home):
    base = PublishedBase()
    v = base.latest()
    everything = base.indicators(v)
    for (ind, scale), _ in everything.groupby(["indicator", "scale"]).head(1).groupby(
            ["indicator", "scale"]):
        fast = base.indicators(v, indicator=ind, scale=scale)
        slow = everything[(everything.indicator == ind) & (everything.scale == scale)]
        assert len(fast) == len(slow)
    names = base.names(v, "commune")
    communes = base.areas(v, "commune")
    assert names.to_dict() == dict(zip(communes["area_id"], communes["name"], strict=True))
