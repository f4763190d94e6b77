"""Landlord occupation files (xlsx and ods): typing, RPLS matching, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.sources import SourceError
from workbench.sources.occupation import occupation_files, read_occupation, read_occupation_file
from workbench.sources.rpls import read_rpls

DATA = Path(__file__).parent / "data" / "sources" / "2023"
XLSX = DATA / "occupation" / "bailleur-un.xlsx"
ODS = DATA / "occupation" / "bailleur-deux.ods"


@pytest.fixture(scope="module")
def logements() -> pd.DataFrame:
    return read_rpls(DATA / "rpls_2023.csv").logements


def write_sheet(path: Path, df: pd.DataFrame, sheet: str = "occupation") -> Path:
    engine = "odf" if path.suffix == ".ods" else "openpyxl"
    df.to_excel(path, sheet_name=sheet, index=False, engine=engine)
    return path


def test_xlsx_and_ods_are_read_and_typed():
    xl = read_occupation_file(XLSX)
    od = read_occupation_file(ODS)
    assert len(xl) == 4 and len(od) == 2
    assert xl["NB_ENFANTS"].dtype == float  # NaN for missing: safe in numpy expressions
    first = xl.iloc[0]
    assert (first["IDENT_REP"], first["SITUATION_FAMILIALE"], first["NB_ENFANTS"]) == (
        "A000000001", "MONOPARENTALE", 2,
    )
    # Empty profile cells are missing values, not empty strings (respondent logic relies on it).
    assert xl.iloc[1][["SITUATION_FAMILIALE", "NB_OCCUPANTS", "PLAFONDS"]].isna().all()
    assert od["AGE_TITULAIRE"].tolist() == [41, 22]


def test_rows_are_joined_to_rpls_and_unmatched_rows_reported(logements):
    res = read_occupation(occupation_files(DATA / "occupation"), logements)
    occ = res.occupation
    assert res.rows_read == 6 and len(occ) == 5
    assert "Z999999999" not in set(occ["IDENT_REP"])
    ids = logements.set_index("IDENT_REP")["residence_id"]
    assert (occ.set_index("IDENT_REP")["residence_id"] == ids.reindex(occ["IDENT_REP"]).values).all()
    (w,) = res.warnings
    assert (w.file, w.count, w.examples) == ("bailleur-un.xlsx", 1, ["Z999999999"])


def test_wrong_sheet(tmp_path):
    df = pd.read_excel(XLSX, sheet_name="occupation", dtype=str, engine="openpyxl")
    path = write_sheet(tmp_path / "b.xlsx", df, sheet="Feuil1")
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    assert "occupation" in exc.value.expected and "Feuil1" in str(exc.value)


def test_unreadable_file(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"ceci n'est pas un classeur")
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    assert "illisible" in str(exc.value) and exc.value.file == "b.xlsx"


def test_unknown_code_in_ods(tmp_path):
    df = pd.read_excel(ODS, sheet_name="occupation", dtype=str, engine="odf")
    df.loc[1, "PLAFONDS"] = "moins de 20 %"
    path = write_sheet(tmp_path / "b.ods", df)
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    e = exc.value
    assert (e.file, e.row, e.column, e.value) == ("b.ods", 3, "PLAFONDS", "moins de 20 %")


def test_missing_column(tmp_path):
    df = pd.read_excel(XLSX, sheet_name="occupation", dtype=str, engine="openpyxl").drop(columns="REPONDU")
    path = write_sheet(tmp_path / "b.xlsx", df)
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    assert exc.value.column == "REPONDU"


def test_out_of_bounds_age(tmp_path):
    df = pd.read_excel(XLSX, sheet_name="occupation", dtype=str, engine="openpyxl")
    df.loc[0, "AGE_TITULAIRE"] = "7"
    path = write_sheet(tmp_path / "b.xlsx", df)
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    assert (exc.value.row, exc.value.column, exc.value.value) == (2, "AGE_TITULAIRE", "7")


def test_duplicate_id_within_a_file(tmp_path):
    df = pd.read_excel(XLSX, sheet_name="occupation", dtype=str, engine="openpyxl")
    df.loc[2, "IDENT_REP"] = "A000000001"
    path = write_sheet(tmp_path / "b.xlsx", df)
    with pytest.raises(SourceError) as exc:
        read_occupation_file(path)
    assert (exc.value.row, exc.value.column) == (4, "IDENT_REP")


def test_duplicate_id_across_landlord_files(tmp_path, logements):
    shutil.copy(XLSX, tmp_path / "a.xlsx")
    df = pd.read_excel(ODS, sheet_name="occupation", dtype=str, engine="odf")
    df.loc[0, "IDENT_REP"] = "A000000002"
    write_sheet(tmp_path / "b.ods", df)
    with pytest.raises(SourceError) as exc:
        read_occupation(occupation_files(tmp_path), logements)
    e = exc.value
    assert (e.file, e.row, e.value) == ("b.ods", 2, "A000000002")
    assert "a.xlsx" in str(e)
