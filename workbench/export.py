"""Excel export of exactly what is on screen, with definitions, withheld cells and the mention.

A view is a safe long table (``workbench.tables.indicator_long`` or ``comparison_long``) with a
title. Each view becomes one sheet (areas × categories): published cells are numbers (shares
formatted as percentages), withheld cells hold their status label — never a number. Two more
sheets list the withheld cells with their French explanation and the variable definitions from
the dictionary. The mandatory source mention is written at the top of every sheet and in its
printed footer.

API::

    views = [ExportView("Ressources des ménages", long)]
    export_workbook(views, "diagnostic.xlsx", title="Diagnostic — Lille")   # -> Path
    workbook_bytes(views, title=...)                                       # -> bytes
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.tables import indicator_wide, withheld_cells

WITHHELD_FILL = PatternFill("solid", fgColor="DDDDDD")
HEADER_FONT = Font(bold=True)
DEFINITIONS_SHEET = "Définitions"
WITHHELD_SHEET = "Cellules non diffusées"
FIRST_TABLE_ROW = 5


@dataclass
class ExportView:
    """One table on screen: a title and its safe long table (or a text-only frame)."""

    title: str
    long: pd.DataFrame | None = None
    frame: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _sheet_name(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:28] or "Tableau"
    name, i = base, 2
    while name.lower() in taken:
        name = f"{base[:25]} ({i})"
        i += 1
    taken.add(name.lower())
    return name


def _head(ws, title: str, subtitle: str = "") -> None:
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = source_mention()
    ws["A2"].font = Font(italic=True, size=9)
    if subtitle:
        ws["A3"] = subtitle
    ws.oddFooter.left.text = source_mention()


def _write_frame(ws, frame: pd.DataFrame, row0: int, percent_cols: set[str] = frozenset()) -> None:
    for j, col in enumerate(frame.columns, start=1):
        c = ws.cell(row=row0, column=j, value=str(col))
        c.font = HEADER_FONT
        c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = 14 if j > 2 else 30
    for i, values in enumerate(frame.itertuples(index=False), start=row0 + 1):
        for j, (col, v) in enumerate(zip(frame.columns, values, strict=True), start=1):
            if v is None or (isinstance(v, float) and pd.isna(v)):
                v = None
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str) and j > 2 and col in percent_cols | {"__any__"}:
                cell.fill = WITHHELD_FILL
            elif isinstance(v, float) and col in percent_cols:
                cell.number_format = "0.0%"
    ws.freeze_panes = ws.cell(row=row0 + 1, column=3)


def _view_sheet(ws, view: ExportView) -> None:
    d = dictionary()
    if view.long is not None and len(view.long):
        long = view.long
        ind = d.indicator(str(long["indicator"].iloc[0]))
        scales = ", ".join(d.scale_label(s) for s in dict.fromkeys(long["scale"]))
        vintages = ", ".join(str(v) for v in sorted(set(long["vintage"])))
        unit = f" — unité : {ind.unit_label}" if ind.unit_label and ind.kind != "share" else ""
        _head(ws, view.title, f"{ind.label} — {scales} — millésime {vintages}{unit}")
        wide = indicator_wide(long)
        value_cols = [c for c in wide.columns if c not in ("Code", "Zone")]
        percent = set(value_cols) if ind.kind == "share" else set()
        _write_frame(ws, wide, FIRST_TABLE_ROW, percent)
        for i, row in enumerate(wide.itertuples(index=False), start=FIRST_TABLE_ROW + 1):
            for j, v in enumerate(row, start=1):
                if j > 2 and isinstance(v, str) and ind.kind != "class":
                    ws.cell(row=i, column=j).fill = WITHHELD_FILL
    else:
        _head(ws, view.title)
        frame = view.frame if view.frame is not None else pd.DataFrame()
        _write_frame(ws, frame.astype(object), FIRST_TABLE_ROW)
    last = ws.max_row + 2
    for k, note in enumerate(view.notes):
        ws.cell(row=last + k, column=1, value=note)


def _definitions(ws, views: list[ExportView]) -> None:
    d = dictionary()
    _head(ws, "Définitions des variables")
    rows = []
    seen = []
    for v in views:
        if v.long is not None and len(v.long):
            seen.extend(dict.fromkeys(v.long["indicator"]))
    for name in dict.fromkeys(seen):
        ind = d.indicator(name)
        base = d.indicator(ind.base).label if ind.base else ""
        rows.append([ind.label, "", ind.definition, base, d.themes[ind.theme].label])
        for code, label in ind.categories.items():
            rows.append([ind.label, label, f"Code « {code} »", base, d.themes[ind.theme].label])
    frame = pd.DataFrame(rows, columns=["Indicateur", "Catégorie", "Définition", "Base",
                                        "Thème"])
    _write_frame(ws, frame, FIRST_TABLE_ROW)
    ws.column_dimensions["C"].width = 80
    r = ws.max_row + 2
    ws.cell(row=r, column=1, value="Statuts des cellules").font = HEADER_FONT
    for k, (code, spec) in enumerate(d.statuses.items(), start=1):
        ws.cell(row=r + k, column=1, value=spec["label"])
        ws.cell(row=r + k, column=3, value=spec["explanation"].split("{")[0].strip()
                or spec["label"])
        ws.cell(row=r + k, column=2, value=code)
    r = ws.max_row + 2
    ws.cell(row=r, column=1, value="Règles de secret statistique").font = HEADER_FONT
    for k, spec in enumerate(d.rules.values(), start=1):
        ws.cell(row=r + k, column=1, value=spec.get("label", ""))
        ws.cell(row=r + k, column=3, value=spec.get("definition", ""))


def _withheld(ws, views: list[ExportView]) -> None:
    _head(ws, "Cellules non diffusées et motif")
    frames = [withheld_cells(v.long) for v in views if v.long is not None and len(v.long)]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["indicator_label", "scale", "area_id", "name", "category_label",
                 "status_label", "explanation"])
    d = dictionary()
    frame = frame.assign(scale=[d.scale_label(s) for s in frame["scale"]])
    frame.columns = ["Indicateur", "Échelle", "Code", "Zone", "Catégorie", "Statut", "Motif"]
    frame = frame[["Code", "Zone", "Indicateur", "Échelle", "Catégorie", "Statut", "Motif"]]
    if frame.empty:
        ws.cell(row=4, column=1, value="Aucune cellule non diffusée dans cet export.")
    _write_frame(ws, frame, FIRST_TABLE_ROW)


def build_workbook(views: list[ExportView], title: str | None = None) -> Workbook:
    """The workbook: one sheet per view, then withheld cells and definitions."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for view in views:
        ws = wb.create_sheet(_sheet_name(view.title, taken))
        _view_sheet(ws, view)
    _withheld(wb.create_sheet(_sheet_name(WITHHELD_SHEET, taken)), views)
    _definitions(wb.create_sheet(_sheet_name(DEFINITIONS_SHEET, taken)), views)
    wb.properties.title = title or "Export du poste d'analyse"
    wb.properties.creator = "workbench"
    wb.properties.description = source_mention()
    return wb


def workbook_bytes(views: list[ExportView], title: str | None = None) -> bytes:
    buf = io.BytesIO()
    build_workbook(views, title).save(buf)
    return buf.getvalue()


def export_workbook(views: list[ExportView], path: Path | str, title: str | None = None) -> Path:
    """Write the workbook to ``path`` (created or replaced) and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(views, title).save(path)
    return path
