"""Safe display tables and the résidence sheet, checked against the raw published files."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from workbench.dictionary import dictionary
from workbench.fiche import GUIDANCE_PREFIX, drivers_table, residence_sheet
from workbench.published import PublishedBase
from workbench.tables import format_value, indicator_long, indicator_wide, lineage


@pytest.fixture(scope="module")
def ctx(demo_home):
    base = PublishedBase()
    vintage = base.latest()
    raw = pq.read_table(demo_home / "published" / str(vintage) / "indicators.parquet").to_pandas()
    return base, vintage, raw


def test_french_number_formats():
    assert format_value(0.2346, "share") == "23,5 %"
    assert format_value(12345, "count") == "12\u202f345"
    assert format_value(6.125, "ratio", "€/m²") == "6,12 €/m²" or format_value(
        6.125, "ratio", "€/m²") == "6,13 €/m²"
    assert format_value(float("nan"), "share") == ""


def test_withheld_cells_show_only_their_status(ctx):
    base, vintage, raw = ctx
    d = dictionary()
    long = indicator_long(base, vintage, "revenus", "iris")
    withheld = long[long["status"] != "published"]
    assert len(withheld) > 0
    for row in withheld.itertuples():
        assert row.text == d.status_label(row.status)
        assert row.explanation == d.explanation(row.status, "occupation", "iris")
    expected = raw[(raw.indicator == "revenus") & (raw.scale == "iris")]
    assert len(long) == len(expected)


def test_wide_table_has_one_row_per_area(ctx):
    base, vintage, raw = ctx
    long = indicator_long(base, vintage, "typologie", "commune")
    wide = indicator_wide(long)
    assert len(wide) == long["area_id"].nunique()
    cats = dictionary().indicator("typologie").categories
    assert list(wide.columns[2:]) == [cats[c] for c in cats if c in set(long["category"])]


def test_lineage_climbs_to_the_epci(ctx):
    base, vintage, _ = ctx
    res = base.areas(vintage, "residence").iloc[0]
    chain = lineage(base, vintage, res.area_id, "residence")
    scales = [s for s, _, _ in chain]
    assert scales[0] == "residence" and scales[-1] == "epci" and "commune" in scales
    assert dict((s, a) for s, a, _ in chain)["commune"] == res["commune"]


def _residence_with(raw, published: bool) -> str:
    frag = raw[(raw.indicator == "fragilite") & (raw.scale == "residence")]
    rows = frag[(frag.status == "published") == published]
    assert len(rows), "le jeu de démonstration doit contenir ce cas"
    return str(rows["area_id"].iloc[0])


def test_sheet_of_a_published_residence(ctx):
    base, vintage, raw = ctx
    rid = _residence_with(raw, True)
    sheet = residence_sheet(base, vintage, rid)
    code = raw[(raw.indicator == "fragilite") & (raw.area_id == rid)
               & (raw.scale == "residence")]["category"].iloc[0]
    assert sheet.fragility["code"] == code
    assert sheet.recommendations[0] == GUIDANCE_PREFIX
    assert any("décision" in s for s in sheet.recommendations)
    assert set(sheet.profile["scale"]) >= {"residence", "commune", "epci"}
    drivers = drivers_table(base, vintage, "residence", rid)
    method = dictionary().indicator("fragilite").method
    assert len(drivers) == len(method["drivers"])
    alert = drivers[drivers["alert"]]
    assert (alert["ratio"] > method["ratio_alert"]).all()


def test_sheet_of_a_withheld_residence_gives_no_occupation_guidance(ctx):
    base, vintage, raw = ctx
    rid = _residence_with(raw, False)
    sheet = residence_sheet(base, vintage, rid)
    assert sheet.fragility["code"] == ""
    assert sheet.fragility["explanation"].startswith(("Secret statistique", "Donnée non"))
    assert any("aucune préconisation fondée sur l'occupation" in s
               for s in sheet.recommendations)
    own = sheet.profile[sheet.profile["scale"] == "residence"]
    assert own.loc[own["status"] != "published", "value"].isna().all()
