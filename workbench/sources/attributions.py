"""SNE attributions CSV (one row per attribution followed by a signed lease).

Attributions of vintage V are the leases signed during year V-1. A row is tied to a résidence
when its RPLS id is known in any loaded vintage, or, without id, when its address (number,
street type and name, then postcode and commune) names a single résidence of its commune and
landlord; otherwise it still counts at commune, landlord and réservataire scales
(``residence_id`` empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary, dictionary
from workbench.sources.errors import LoadWarning, Problem, SourceError
from workbench.sources.reading import read_csv_chunks
from workbench.sources.rpls import normalize_text
from workbench.sources.validate import check_frame, duplicates, plain_strings


@dataclass
class AttributionsResult:
    attributions: pd.DataFrame
    warnings: list[LoadWarning] = field(default_factory=list)


def _street_key(df: pd.DataFrame) -> pd.Series:
    parts = [df[c].fillna("").astype(str) if c in df else "" for c in ("NUMVOIE", "TYPVOIE", "NOMVOIE")]
    return (parts[0] + " " + parts[1] + " " + parts[2]).map(normalize_text)


def _address_key(adresse: pd.Series) -> pd.Series:
    """``12 rue des Lilas 59000 Lille`` or ``12 rue des Lilas, Lille`` -> ``12 RUE DES LILAS``."""
    street = adresse.fillna("").astype(str).str.replace(r"\s*(,|\b\d{5}\b).*$", "", regex=True)
    return street.map(normalize_text)


def match_addresses(att: pd.DataFrame, dwellings: pd.DataFrame) -> pd.Series:
    """residence_id of attributions without RPLS id whose address names one résidence."""
    if not {"DEPCOM", "NOMVOIE"} <= set(dwellings.columns) or "ADRESSE" not in att:
        return pd.Series("", index=att.index)
    res = dwellings.drop_duplicates("residence_id").copy()
    res["street"] = _street_key(res)
    res["landlord"] = res["RS"].fillna("").map(normalize_text) if "RS" in res else ""
    att_key = pd.DataFrame(
        {
            "DEPCOM": att["DEPCOM"].astype(str),
            "street": _address_key(att["ADRESSE"]),
            "landlord": att["BAILLEUR"].fillna("").map(normalize_text),
        },
        index=att.index,
    )
    out = pd.Series("", index=att.index, dtype=object)
    # first by commune + street + landlord, then by commune + street when only one résidence
    for keys in (["DEPCOM", "street", "landlord"], ["DEPCOM", "street"]):
        counts = res.groupby(keys)["residence_id"].agg(["first", "size"])
        single = counts.loc[counts["size"] == 1, "first"]
        todo = out == ""
        if not todo.any():
            break
        idx = pd.MultiIndex.from_frame(att_key.loc[todo, keys])
        found = single.reindex(idx).to_numpy()
        out.loc[todo] = pd.Series(found, index=out.index[todo]).fillna("").astype(str)
    return out


def read_attributions(
    path: Path, vintage: int, dwellings: pd.DataFrame, d: Dictionary | None = None
) -> AttributionsResult:
    """Validate and load an SNE file.

    ``dwellings``: IDENT_REP and residence_id of every loaded dwelling, with the address
    columns (DEPCOM, NUMVOIE, TYPVOIE, NOMVOIE, RS) for rows that only give an address.
    """
    d = d or dictionary()
    theme = d.themes["attributions"]
    file = path.name
    frames, line_frames, problems, total = [], [], [], 0
    for raw, first_line in read_csv_chunks(path, theme.columns, theme.raw["file"]["separator"]):
        lines = pd.Series(np.arange(first_line, first_line + len(raw)), index=raw.index)
        checked = check_frame(raw, theme.columns, file, lines=lines)
        problems += checked.problems
        total += checked.total
        frames.append(checked.frame)
        line_frames.append(lines)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[c.name for c in theme.columns]
    )
    lines = pd.concat(line_frames, ignore_index=True) if line_frames else pd.Series(dtype=int)
    if not total:
        dup, n = duplicates(df["ID_ATTRIBUTION"], lines, file, theme.column("ID_ATTRIBUTION"))
        problems += dup
        total += n
    if total:
        raise SourceError(sorted(problems, key=lambda p: p.row or 0)[:20], total)
    if df.empty:
        raise SourceError([Problem(file, 2, None, None, "au moins une attribution", "fichier sans ligne")])
    ident = df["IDENT_REP"] if "IDENT_REP" in df else pd.Series(None, index=df.index, dtype=object)
    residence_of = dwellings.drop_duplicates("IDENT_REP").set_index("IDENT_REP")["residence_id"]
    df["residence_id"] = ident.map(residence_of).fillna("").astype(str)
    df["annee"] = df["DATE_BAIL"].dt.year.astype("int64")
    warnings = []
    unknown = ident.notna() & (df["residence_id"] == "")
    if unknown.any():
        warnings.append(
            LoadWarning(
                file, "attribution_non_rapprochee",
                "identifiant RPLS inconnu des millésimes chargés (comptée hors résidence)",
                int(unknown.sum()), ident[unknown].head(10).tolist(),
            )
        )
    no_id = ident.isna()
    if no_id.any():
        df.loc[no_id, "residence_id"] = match_addresses(df[no_id], dwellings)
        lost = no_id & (df["residence_id"] == "")
        if lost.any():
            warnings.append(
                LoadWarning(
                    file, "adresse_non_rapprochee",
                    "attribution sans identifiant RPLS dont l'adresse ne désigne aucune résidence "
                    "connue (comptée hors résidence)",
                    int(lost.sum()), df.loc[lost, "ID_ATTRIBUTION"].head(10).tolist(),
                )
            )
    off_year = df["annee"] != vintage - 1
    if off_year.any():
        warnings.append(
            LoadWarning(
                file, "attribution_hors_annee",
                f"bail signé hors de l'année {vintage - 1} attendue pour le millésime {vintage}",
                int(off_year.sum()), df.loc[off_year, "ID_ATTRIBUTION"].head(10).tolist(),
            )
        )
    for col in theme.columns:
        if col.name not in df:
            df[col.name] = None
    return AttributionsResult(plain_strings(df), warnings)
