"""RPLS loader: both column vintages, typed canonical columns, coordinates, bad input."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from workbench.sources import SourceError
from workbench.sources.rpls import read_rpls, residence_ids

DATA = Path(__file__).parent / "data" / "sources"
RPLS_2023 = DATA / "2023" / "rpls_2023.csv"
RPLS_2024 = DATA / "2024" / "rpls_2024.csv"


def edited(tmp_path: Path, src: Path, row: int, column: str, value: str) -> Path:
    """A copy of ``src`` with one cell changed (``row``: 1-based data row)."""
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    rows[row][rows[0].index(column)] = value
    out = tmp_path / src.name
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL).writerows(rows)
    return out


def test_2023_style_names_become_canonical_with_derived_columns():
    r = read_rpls(RPLS_2023)
    df = r.logements
    for alias in ("DEPCOM_CODE", "PLG_IRIS2022_CODE", "PLG_QP", "FINAN_CODE", "TYPECONST_CODE"):
        assert alias not in df.columns
    assert {"DEPCOM", "PLG_IRIS2024_CODE", "PLG_QP24", "FINAN", "TYPECONST"} <= set(df.columns)
    assert len(df) == 5
    assert r.version_loi
    row = df.set_index("IDENT_REP").loc["A000000001"]
    assert row["code_iris"] == "593500101" and row["code_qp"] == "QN05901M"
    assert row["SURFHAB"] == pytest.approx(65.5)  # decimal comma accepted
    assert row["BAIL"] == "03/2019"
    # "2022-06" is normalised to the RPLS collect format mm/aaaa
    assert df.set_index("IDENT_REP").loc["A000000003", "BAIL"] == "06/2022"
    # "HZ" (hors zone) and empty geocodes mean no QPV
    assert df.set_index("IDENT_REP").loc[["A000000004", "A000000005"], "code_qp"].tolist() == ["", ""]


def test_2025_style_file_without_version_loi_columns_loads():
    r = read_rpls(RPLS_2024)
    assert not r.version_loi
    assert "MODE" not in r.logements.columns
    assert r.residences["bailleur"].tolist() == ["", ""]


def test_coordinates_from_both_epsg_land_in_lille_and_roubaix():
    df = read_rpls(RPLS_2023).logements.set_index("IDENT_REP")
    # Lambert-93 row -> WGS84 near Lille centre; WGS84 row keeps its lon/lat.
    assert 3.0 < df.loc["A000000001", "lon"] < 3.1 and 50.60 < df.loc["A000000001", "lat"] < 50.66
    assert df.loc["A000000005", "lon"] == pytest.approx(3.17)
    # WGS84 row -> Lambert-93 lands in Roubaix, within 1 km of a Lambert-93 row of Roubaix.
    dx = df.loc["A000000005", "x_l93"] - df.loc["A000000004", "x_l93"]
    dy = df.loc["A000000005", "y_l93"] - df.loc["A000000004", "y_l93"]
    assert (dx**2 + dy**2) ** 0.5 < 1000


def test_same_address_written_differently_is_one_residence():
    r = read_rpls(RPLS_2023)
    ids = r.logements.set_index("IDENT_REP")["residence_id"]
    assert ids["A000000001"] == ids["A000000002"] == ids["A000000003"]
    assert ids["A000000004"] != ids["A000000001"]
    res = r.residences.set_index("residence_id").loc[ids["A000000001"]]
    assert res["nb_logements"] == 3
    assert res["bailleur"] == "Bailleur Un"
    assert res["adresse"] == "12 RUE des Lilas, Lille"
    assert res["annee_construction"] == 1972
    assert ids.str.fullmatch(r"R[0-9a-f]{10}").all()


def test_landlord_is_part_of_the_residence_key():
    df = pd.DataFrame(
        {"DEPCOM": ["59350"] * 2, "NUMVOIE": ["1"] * 2, "TYPVOIE": ["RUE"] * 2,
         "NOMVOIE": ["X"] * 2, "RS": ["A", "B"]}
    )
    ids = residence_ids(df)
    assert ids[0] != ids[1]


def test_empty_dpe_is_a_counted_warning_not_an_error():
    r = read_rpls(RPLS_2023)
    (w,) = [w for w in r.warnings if w.kind == "dpe_vide"]
    assert w.count == 1 and w.examples == ["A000000002"]


def test_chunked_reading_gives_the_same_result():
    whole = read_rpls(RPLS_2023).logements
    chunked = read_rpls(RPLS_2023, chunk_rows=2).logements
    pd.testing.assert_frame_equal(whole, chunked)


# -- bad input: one test per class ------------------------------------------------------
def test_wrong_separator(tmp_path):
    out = tmp_path / "rpls.csv"
    out.write_text(RPLS_2024.read_text(encoding="utf-8").replace(";", ","), encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert exc.value.row == 1 and exc.value.file == "rpls.csv"
    assert "séparateur" in str(exc.value) and "virgule" in str(exc.value)


def test_missing_column(tmp_path):
    df = pd.read_csv(RPLS_2024, sep=";", dtype=str).drop(columns="NOMVOIE")
    out = tmp_path / "rpls.csv"
    df.to_csv(out, sep=";", index=False)
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert exc.value.column == "NOMVOIE" and exc.value.row == 1
    assert "colonne obligatoire absente" in str(exc.value)


def test_unknown_code(tmp_path):
    out = edited(tmp_path, RPLS_2024, 2, "FINAN", "77")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    e = exc.value
    assert (e.file, e.row, e.column, e.value) == ("rpls_2024.csv", 3, "FINAN", "77")
    assert "code inconnu" in str(e) and "FINAN" in e.expected


def test_duplicate_id(tmp_path):
    out = edited(tmp_path, RPLS_2024, 3, "IDENT_REP", "A000000001")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert (exc.value.row, exc.value.column, exc.value.value) == (4, "IDENT_REP", "A000000001")
    assert "déjà présent ligne 2" in str(exc.value)


def test_bad_month(tmp_path):
    out = edited(tmp_path, RPLS_2023, 4, "BAIL", "13/2020")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert (exc.value.row, exc.value.column, exc.value.value) == (5, "BAIL", "13/2020")
    assert "mm/aaaa" in exc.value.expected


def test_value_out_of_bounds_and_not_numeric_are_all_reported(tmp_path):
    out = edited(tmp_path, RPLS_2024, 1, "NBPIECE", "0")
    out = edited(tmp_path, out, 2, "SURFHAB", "grand")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert [(p.row, p.column) for p in exc.value.problems] == [(2, "NBPIECE"), (3, "SURFHAB")]
    assert "entre 1 et 20" in exc.value.problems[0].expected


def test_coordinates_out_of_range(tmp_path):
    out = edited(tmp_path, RPLS_2024, 3, "X", "0")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert exc.value.row == 4 and exc.value.column == "X/Y"
    assert "hors du territoire" in str(exc.value)


def test_coordinates_outside_loaded_communes(tmp_path):
    import shapely

    lille = shapely.box(3.0, 50.6, 3.1, 50.66)
    communes = pd.DataFrame({"code": ["59350"], "nom": ["Lille"],
                             "geometry_wkb": [shapely.to_wkb(lille)]})
    with pytest.raises(SourceError) as exc:
        read_rpls(RPLS_2024, communes=communes)
    assert exc.value.row == 4  # the Roubaix dwelling lies outside this one-commune extent


def test_unreadable_file(tmp_path):
    out = tmp_path / "rpls.csv"
    out.write_bytes(RPLS_2024.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert "illisible" in str(exc.value)
    with pytest.raises(SourceError):
        read_rpls(tmp_path / "absent.csv")


def test_ragged_line_is_rejected_with_its_line(tmp_path):
    out = tmp_path / "rpls.csv"
    text = RPLS_2024.read_text(encoding="utf-8").splitlines()
    text[2] += ';"extra";"extra2"'
    out.write_text("\n".join(text) + "\n", encoding="utf-8")
    shutil.copy(out, tmp_path / "copy.csv")
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    assert exc.value.row == 3


def test_latin1_file_is_rejected_at_the_first_bad_line(tmp_path):
    out = tmp_path / "rpls.csv"
    text = RPLS_2023.read_text(encoding="utf-8")
    out.write_bytes(text.encode("cp1252"))
    with pytest.raises(SourceError) as exc:
        read_rpls(out)
    # the first non-ASCII character (« Résidence des Près ») is on line 6
    assert exc.value.row == 6 and "UTF-8" in str(exc.value)


def test_overseas_epsg_rows_land_in_their_department(tmp_path):
    out = edited(tmp_path, RPLS_2024, 3, "EPSG", "2975")  # RGR92 / UTM 40S, La Réunion
    out = edited(tmp_path, out, 3, "X", "340000")
    out = edited(tmp_path, out, 3, "Y", "7660000")
    row = read_rpls(out).logements.set_index("IDENT_REP").loc["A000000004"]
    assert 55.2 < row["lon"] < 55.9 and -21.4 < row["lat"] < -20.8
    # the same coordinates declared as Lambert-93 are outside France
    bad = edited(tmp_path, out, 3, "EPSG", "2154")
    with pytest.raises(SourceError):
        read_rpls(bad)
