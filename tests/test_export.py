"""Excel export: every number is a published value, every withheld cell shows its status."""

from __future__ import annotations

import numbers

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.export import FIRST_TABLE_ROW, ExportView, export_workbook
from workbench.published import PublishedBase
from workbench.tables import indicator_long

CASES = [("revenus", "iris"), ("typologie", "commune"), ("loyer_m2", "commune"),
         ("prioritaires", "reservataire"), ("objectif_q1_hors_qpv", "commune"),
         ("fragilite", "commune"), ("composition", "residence")]


@pytest.fixture(scope="module")
def workbook(demo_home, tmp_path_factory):
    base = PublishedBase()
    vintage = base.latest()
    views = [ExportView(f"{ind} {scale}", indicator_long(base, vintage, ind, scale))
             for ind, scale in CASES]
    path = export_workbook(views, tmp_path_factory.mktemp("x") / "export.xlsx", title="Test")
    raw = pq.read_table(demo_home / "published" / str(vintage) / "indicators.parquet").to_pandas()
    return openpyxl.load_workbook(path), views, raw


def test_every_sheet_carries_the_source_mention(workbook):
    wb, _, _ = workbook
    for ws in wb.worksheets:
        texts = [c.value for row in ws.iter_rows(max_row=4) for c in row if c.value]
        assert source_mention() in texts, ws.title
        assert ws.oddFooter.left.text == source_mention()


def test_cells_match_the_published_base(workbook):
    wb, views, raw = workbook
    d = dictionary()
    withheld_seen = 0
    for ws, (ind_name, scale) in zip(wb.worksheets, CASES, strict=False):
        ind = d.indicator(ind_name)
        label_to_code = {ind.category_label(c): c for c in ind.categories} or {ind.label: ""}
        header = [c.value for c in ws[FIRST_TABLE_ROW]]
        truth = raw[(raw.indicator == ind_name) & (raw.scale == scale)].set_index(
            ["area_id", "category"])
        for row in ws.iter_rows(min_row=FIRST_TABLE_ROW + 1, values_only=True):
            area_id = row[0]
            for col, cell in zip(header[2:], row[2:], strict=True):
                if ind.kind == "class":
                    rows = truth.xs(area_id, level="area_id")
                    status = rows["status"].iloc[0]
                    expected = (ind.category_label(rows.index[0]) if status == "published"
                                else d.status_label(status))
                    assert cell == expected
                    withheld_seen += status != "published"
                    continue
                t = truth.loc[(area_id, label_to_code[col])]
                if t["status"] == "published":
                    assert isinstance(cell, numbers.Number)
                    assert cell == pytest.approx(t["value"])
                else:
                    assert cell == d.status_label(t["status"]), (ws.title, area_id, col)
                    withheld_seen += 1
    assert withheld_seen > 0, "le jeu de démonstration devrait contenir des cellules masquées"


def test_no_number_in_withheld_and_definitions_sheets(workbook):
    wb, views, _ = workbook
    ws = wb["Cellules non diffusées"]
    values = [c for row in ws.iter_rows(min_row=FIRST_TABLE_ROW + 1, values_only=True)
              for c in row if c is not None]
    assert values and not any(isinstance(v, numbers.Number) for v in values)
    n_withheld = sum(int((v.long["status"] != "published").sum()) for v in views)
    assert ws.max_row - FIRST_TABLE_ROW == n_withheld
    motifs = {r[6] for r in ws.iter_rows(min_row=FIRST_TABLE_ROW + 1, values_only=True)}
    assert all(m.startswith("Secret statistique") or "diffusée" in m for m in motifs)
    defs = wb["Définitions"]
    labels = {r[0] for r in defs.iter_rows(min_row=FIRST_TABLE_ROW + 1, values_only=True)}
    for ind_name, _ in CASES:
        assert dictionary().indicator(ind_name).label in labels


def test_every_number_anywhere_is_a_published_value(workbook):
    wb, _, raw = workbook
    published = raw.loc[raw.status == "published", "value"].dropna().to_numpy()
    allowed = pd.Series(published).round(9)
    allowed = set(allowed)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=FIRST_TABLE_ROW + 1, values_only=True):
            for v in row:
                if isinstance(v, numbers.Number):
                    assert round(float(v), 9) in allowed, (ws.title, v)
