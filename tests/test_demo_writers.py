"""Workbooks and CSV written by the demo are read back identically by the usual libraries."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from workbench.demo.writers import write_csv, write_workbook


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "BAILLEUR": ["Bailleur Érable & fils", "L'Orme <nord>", 'Dit "Saule"'],
        "NB_OCCUPANTS": pd.array([3, None, 1], dtype="Int64"),
        "PLAFONDS": ["<20", None, ">100"],
    })


@pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
def test_xlsx_round_trip(frame: pd.DataFrame, tmp_path: Path, engine: str) -> None:
    path = tmp_path / "b.xlsx"
    write_workbook(frame, path)
    back = pd.read_excel(path, sheet_name="occupation", engine=engine)
    assert list(back.columns) == list(frame.columns)
    assert back.BAILLEUR.tolist() == frame.BAILLEUR.tolist()
    assert back.NB_OCCUPANTS.isna().tolist() == [False, True, False]
    assert back.NB_OCCUPANTS.dropna().astype(int).tolist() == [3, 1]
    assert back.PLAFONDS.isna().tolist() == [False, True, False]
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == ["occupation"]


@pytest.mark.parametrize("engine", ["odf", "calamine"])
def test_ods_round_trip(frame: pd.DataFrame, tmp_path: Path, engine: str) -> None:
    path = tmp_path / "b.ods"
    write_workbook(frame, path)
    back = pd.read_excel(path, sheet_name="occupation", engine=engine)
    assert back.BAILLEUR.tolist() == frame.BAILLEUR.tolist()
    assert back.NB_OCCUPANTS.dropna().astype(int).tolist() == [3, 1]
    assert back.PLAFONDS.fillna("").tolist() == ["<20", "", ">100"]


def test_csv_quotes_strings_only(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_csv(frame, path)
    write_csv(frame, path, header=False, mode="a")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"BAILLEUR";"NB_OCCUPANTS";"PLAFONDS"'
    assert lines[1] == '"Bailleur Érable & fils";3;"<20"'
    assert len(lines) == 7
    back = pd.read_csv(path, sep=";", dtype=str)
    assert back.BAILLEUR.tolist() == frame.BAILLEUR.tolist() * 2
