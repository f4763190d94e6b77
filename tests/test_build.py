"""The annual build on the demo: contract, rules 1-4 recomputed from microdata, audit, values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.build import (
    BuildError,
    atom_upper,
    build_vintage,
    compute_theme_cells,
    prune,
    published_vintages,
)
from workbench.dictionary import dictionary
from workbench.secrecy import audit
from workbench.secrecy.rules import Rules
from workbench.secrecy_adapter import theme_table
from workbench.store import MicrodataStore

STATUSES = {"published", "below_threshold", "low_response", "extreme_share", "secondary", "not_at_scale"}
COLUMNS = ["vintage", "theme", "indicator", "category", "scale", "area_id", "base", "count", "value", "status"]


@pytest.fixture(scope="module")
def base(demo_home):
    vintage = max(published_vintages(demo_home / "published"))
    folder = demo_home / "published" / str(vintage)
    return {
        "vintage": vintage,
        "folder": folder,
        "indicators": pd.read_parquet(folder / "indicators.parquet"),
        "manifest": json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
        "store": MicrodataStore(demo_home / "store"),
    }


def test_three_vintages_are_published(demo_home):
    assert len(published_vintages(demo_home / "published")) == 3


def test_contract_columns_types_and_statuses(base):
    ind = base["indicators"]
    assert list(ind.columns) == COLUMNS
    assert ind["vintage"].dtype == "int32"
    for col in ("base", "count", "value"):
        assert ind[col].dtype == "float64"
    assert set(ind["status"]) <= STATUSES
    withheld = ind["status"] != "published"
    assert ind.loc[withheld, ["base", "count", "value"]].isna().all().all()
    assert withheld.any() and (~withheld).any()
    assert not ind.duplicated(["theme", "indicator", "category", "scale", "area_id"]).any()


def test_areas_hold_every_residence_even_fully_withheld(base):
    import geopandas as gpd

    areas = gpd.read_parquet(base["folder"] / "areas.parquet")
    residences = base["store"].read(base["vintage"], "residences")
    assert set(residences["residence_id"]) <= set(areas.loc[areas["scale"] == "residence", "area_id"])
    assert areas.crs.to_epsg() == 4326
    assert {"epci", "commune", "commune_hors_qpv", "qpv", "iris", "residence"} <= set(areas["scale"])
    ind = base["indicators"]
    stock = ind[(ind.indicator == "logements") & (ind.scale == "residence")]
    assert (stock.status != "published").any(), "la démo doit contenir des résidences masquées"


def test_published_bases_are_at_least_threshold(base):
    ind = base["indicators"]
    pub = ind[(ind.status == "published") & ind.theme.isin(["stock", "occupation", "attributions"])]
    counts = pub[pub.category == ""]
    counts = counts[counts.indicator != "loyer_m2"]
    assert (counts["count"] >= 11).all()
    shares = pub[pub.category != ""]
    assert (shares["base"] >= 11).all()


def test_no_published_share_is_zero_or_hundred_percent_where_the_rule_applies(base):
    d = dictionary()
    ind = base["indicators"]
    for theme in ("occupation", "attributions"):
        for name, spec in d.themes[theme].indicators.items():
            if spec.kind != "share" or "extremes" in spec.exempt_rules:
                continue
            rows = ind[(ind.indicator == name) & (ind.status == "published")]
            assert ((rows["value"] > 0) & (rows["value"] < 1)).all(), name


def test_occupation_profile_only_where_response_rate_reaches_60_percent(base):
    ind = base["indicators"]
    rate = ind[(ind.indicator == "reponse") & (ind.category == "REPONDU")]
    store = base["store"]
    # Recompute the response rate from microdata, independently of the build's code.
    occ = store.read(base["vintage"], "occupation")
    let = occ[occ["OCCUPATION"] == "LOUE"]
    per_res = let.groupby("residence_id")["REPONDU"].agg(lambda s: (s == "O").mean())
    profile = ind[(ind.indicator == "composition") & (ind.scale == "residence") & (ind.status == "published")]
    assert len(profile) > 0
    assert (per_res.reindex(profile["area_id"]).to_numpy() >= 0.6 - 1e-9).all()
    low = rate[(rate.scale == "residence")]
    assert len(low) > 0


def test_attributions_never_published_at_residence_scale(base):
    ind = base["indicators"]
    att = ind[ind.theme == "attributions"]
    res = att[att.scale == "residence"]
    assert len(res) > 0 and (res.status == "not_at_scale").all()
    assert (att[att.scale == "commune"].status == "published").any()


def test_hand_computed_values_match_microdata(base):
    """Dwellings and T3 share of Roubaix, and the EPCI count, recomputed with plain pandas."""
    store, v, ind = base["store"], base["vintage"], base["indicators"]
    lg = store.read(v, "logements")
    roubaix = lg[lg["DEPCOM"] == "59512"]
    row = ind[(ind.indicator == "logements") & (ind.scale == "commune") & (ind.area_id == "59512")].iloc[0]
    assert row.status == "published" and row["count"] == len(roubaix)
    t3 = ind[(ind.indicator == "typologie") & (ind.category == "T3") & (ind.area_id == "59512")].iloc[0]
    if t3.status == "published":
        assert t3["count"] == (pd.to_numeric(roubaix["NBPIECE"]) == 3).sum()
        assert t3["value"] == pytest.approx(t3["count"] / len(roubaix))
    epci = ind[(ind.indicator == "logements") & (ind.scale == "epci")].iloc[0]
    assert epci["count"] == len(lg)


def test_audit_verdict_is_recorded_and_clean(base):
    audit = base["manifest"]["audit"]
    assert set(audit) >= {"stock", "occupation", "attributions"}
    for theme, verdict in audit.items():
        assert verdict["ok"] is True and verdict["disclosures"] == 0, theme
        assert verdict["checked"] > 0
    assert base["manifest"]["checksums"]["indicators.parquet"]


def test_a_fresh_audit_of_the_published_cells_finds_nothing(base):
    """The build's verdict rests on proofs carried from one audit to the next and on the
    patterns' witnesses (each checked by the audit). Audited again from scratch, without either,
    on the tables rebuilt from the microdata, the cells the base withholds leave the attacker
    nothing, theme by theme; with only the primary cells withheld, it finds what to recover."""
    d = dictionary()
    rules = Rules.from_dictionary(d)
    themes, ctx = compute_theme_cells(base["store"], base["vintage"], d)
    ind = base["indicators"]
    for theme, (counts, areas) in themes.items():
        table, cells, _ = theme_table(counts, areas, theme, d, rules, atom_upper(theme, ctx))
        key = ["indicator", "category", "area_id"]
        status = cells[key].merge(ind.loc[ind["theme"] == theme, [*key, "status"]], on=key, how="left")["status"]
        assert status.notna().all(), theme  # every cell of the engine is in the base
        withheld = table.virtual.copy()
        withheld[: len(cells)] = (status != "published").to_numpy()
        assert 0 < withheld[: len(cells)].sum() < len(cells)
        report = audit(table, withheld, rules.protection, rules.threshold)
        assert report.ok and report.checked > 0, (theme, report.disclosures.head())
        withheld[: len(cells)] &= (status != "secondary").to_numpy()
        assert not audit(table, withheld, rules.protection, rules.threshold).ok, theme


def test_fragility_classes_reproducible_from_published_values(base):
    d = dictionary()
    method = d.indicator("fragilite").method
    ind = base["indicators"]
    frag = ind[(ind.indicator == "fragilite") & (ind.status == "published")]
    assert len(frag) > 0
    pub = ind[ind.status == "published"].set_index(["indicator", "category", "scale", "area_id"])["value"]
    sample = frag.sample(min(40, len(frag)), random_state=0)
    for _, row in sample.iterrows():
        score = n = 0
        for dr in method["drivers"]:
            key = (dr["indicator"], str(dr["category"]))
            epci = pub.get((*key, "epci", ind[ind.scale == "epci"].area_id.iloc[0]))
            val = pub.get((*key, row.scale, row.area_id))
            if epci is None or val is None or np.isnan(val):
                continue
            n += 1
            score += val > method["ratio_alert"] * epci
        assert n >= method["min_drivers"]
        assert score == row["value"]
        expected = next(c["category"] for c in method["classes"] if score <= c["max_score"])
        assert row.category == expected


def test_failed_build_leaves_previous_base_intact(base, tmp_path):
    folder = base["folder"]
    before = (folder / "indicators.parquet").read_bytes()
    empty_store = MicrodataStore(tmp_path / "empty")
    with pytest.raises(BuildError):
        build_vintage(base["vintage"], store=empty_store, published_root=folder.parent)
    assert (folder / "indicators.parquet").read_bytes() == before
    assert not list(folder.parent.glob(".tmp-*"))


def test_several_vintages_share_the_pool_and_a_refusal_stops_none(base, tmp_path):
    """``build_vintages`` answers each vintage in order: a vintage missing from the store is
    refused, the next one is still built (its themes protected in the shared pool) and written
    the same as on its own."""
    from workbench.build import build_vintages

    outcomes = list(build_vintages([1990, base["vintage"]], store=base["store"], published_root=tmp_path))
    assert isinstance(outcomes[0], BuildError) and "1990" in str(outcomes[0])
    built = outcomes[1]
    assert built.vintage == base["vintage"] and built.audit.keys() == base["manifest"]["audit"].keys()
    again = pd.read_parquet(tmp_path / str(base["vintage"]) / "indicators.parquet")
    pd.testing.assert_frame_equal(again, base["indicators"])


def test_prune_removes_vintages_older_than_twelve_years(tmp_path):
    import datetime as dt

    for v in (2010, 2013, 2024):
        (tmp_path / str(v)).mkdir()
    removed = prune(today=dt.date(2026, 1, 1), root=tmp_path)
    assert removed == [2010, 2013]
    assert published_vintages(tmp_path) == [2024]


def test_the_epci_figures_are_never_withheld(base):
    """The secondary suppression never takes the EPCI's own figures (infinite cost): they are the
    reference every fragility driver and every comparison chart is read against."""
    ind = base["indicators"]
    epci = ind[(ind.scale == "epci") & ind.theme.isin(["stock", "occupation", "attributions"])]
    assert len(epci) > 30
    kept = [t for t, a in base["manifest"]["audit"].items() if a.get("epci_kept", True)]
    assert kept, "aucun thème n'a pu garder les chiffres de l'EPCI"
    assert not (epci[epci.theme.isin(kept)].status == "secondary").any()


def test_mean_rent_is_published_where_its_let_dwellings_are(base):
    """loyer_m2 rests on the let dwellings (an alias count): published wherever they are."""
    ind = base["indicators"]
    rent = ind[ind.indicator == "loyer_m2"]
    if not base["manifest"]["version_loi"]:
        assert rent.empty
        return
    loues = ind[ind.indicator == "loues"].set_index(["scale", "area_id"])["status"]
    assert (rent.status == "published").sum() > 0
    mine = rent.set_index(["scale", "area_id"])["status"]
    assert (mine == loues.reindex(mine.index)).all()
    assert rent.loc[rent.status == "published", "value"].between(2, 30).all()  # €/m²
