"""SNE attributions: typing, résidence link, year, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from workbench.sources import SourceError
from workbench.sources.attributions import read_attributions
from workbench.sources.rpls import read_rpls

DATA = Path(__file__).parent / "data" / "sources" / "2023"
SNE = DATA / "attributions_sne_2023.csv"


@pytest.fixture(scope="module")
def dwellings() -> pd.DataFrame:
    return read_rpls(DATA / "rpls_2023.csv").logements


def edited(tmp_path: Path, row: int, column: str, value: str) -> Path:
    with SNE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    rows[row][rows[0].index(column)] = value
    out = tmp_path / SNE.name
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    return out


def test_rows_typed_linked_and_dated(dwellings):
    res = read_attributions(SNE, 2023, dwellings)
    df = res.attributions.set_index("ID_ATTRIBUTION")
    assert len(df) == 7
    residence_of = dwellings.set_index("IDENT_REP")["residence_id"]
    assert df.loc["SNE-2022-0001", "residence_id"] == residence_of["A000000001"]
    # both ISO and French dates are accepted
    assert df.loc["SNE-2022-0002", "DATE_BAIL"] == pd.Timestamp("2022-06-17")
    assert df.loc["SNE-2022-0003", "residence_id"] == ""  # address of no known résidence
    # address only, written as "street, commune" or "street postcode commune"
    assert df.loc["SNE-2022-0006", "residence_id"] == residence_of["A000000001"]
    assert df.loc["SNE-2022-0007", "residence_id"] == residence_of["A000000004"]
    assert df.loc["SNE-2022-0004", "residence_id"] == ""  # unknown RPLS id
    assert df["annee"].tolist() == [2022, 2022, 2022, 2022, 2021, 2022, 2022]
    kinds = {w.kind: w.count for w in res.warnings}
    assert kinds == {
        "attribution_non_rapprochee": 1,
        "adresse_non_rapprochee": 1,
        "attribution_hors_annee": 1,
    }


def test_bad_date(tmp_path, dwellings):
    with pytest.raises(SourceError) as exc:
        read_attributions(edited(tmp_path, 2, "DATE_BAIL", "31/02/2022"), 2023, dwellings)
    e = exc.value
    assert (e.row, e.column, e.value) == (3, "DATE_BAIL", "31/02/2022")
    assert "date" in e.expected


def test_unknown_code(tmp_path, dwellings):
    with pytest.raises(SourceError) as exc:
        read_attributions(edited(tmp_path, 4, "QUARTILE", "5"), 2023, dwellings)
    assert (exc.value.row, exc.value.column, exc.value.value) == (5, "QUARTILE", "5")


def test_duplicate_id(tmp_path, dwellings):
    with pytest.raises(SourceError) as exc:
        read_attributions(edited(tmp_path, 5, "ID_ATTRIBUTION", "SNE-2022-0001"), 2023, dwellings)
    assert (exc.value.row, exc.value.column) == (6, "ID_ATTRIBUTION")


def test_missing_required_value(tmp_path, dwellings):
    with pytest.raises(SourceError) as exc:
        read_attributions(edited(tmp_path, 1, "RESERVATAIRE", ""), 2023, dwellings)
    assert (exc.value.row, exc.value.column) == (2, "RESERVATAIRE")
    assert "obligatoire" in str(exc.value)


def test_wrong_separator(tmp_path, dwellings):
    out = tmp_path / "sne.csv"
    out.write_text(SNE.read_text(encoding="utf-8").replace(";", "\t"), encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_attributions(out, 2023, dwellings)
    assert "tabulation" in str(exc.value)


def test_corsican_commune_code_is_accepted(tmp_path, dwellings):
    res = read_attributions(edited(tmp_path, 3, "DEPCOM", "2A004"), 2023, dwellings)
    assert res.attributions["DEPCOM"].tolist()[2] == "2A004"
