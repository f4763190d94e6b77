"""Landlords' occupation files (xlsx or ods, one row per dwelling), joined to RPLS by IDENT_REP.

Each landlord sends its own file; all are checked against the ``occupation`` theme of the
dictionary before anything is kept. Rows whose RPLS id is unknown in the vintage's RPLS file
are tolerated (a warning with their count and first ids) and left out of the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary, dictionary
from workbench.sources.errors import LoadWarning, Problem, SourceError
from workbench.sources.reading import read_sheet
from workbench.sources.validate import check_frame, duplicates, plain_strings

FORMATS = (".xlsx", ".ods")


@dataclass
class OccupationResult:
    occupation: pd.DataFrame
    rows_read: int
    warnings: list[LoadWarning] = field(default_factory=list)
    rows_by_file: dict[str, int] = field(default_factory=dict)


def occupation_files(folder: Path) -> list[Path]:
    """The landlord files of a vintage (``<vintage>/occupation/*.xlsx|*.ods``), sorted."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in FORMATS and not p.name.startswith(("~$", ".~lock"))
    )


def read_occupation_file(path: Path, d: Dictionary | None = None) -> pd.DataFrame:
    """One landlord file, validated and typed (raises SourceError)."""
    d = d or dictionary()
    theme = d.themes["occupation"]
    raw = read_sheet(path, theme.raw["file"]["sheet"], theme.columns)
    checked = check_frame(raw, theme.columns, path.name)
    problems, total = list(checked.problems), checked.total
    lines = pd.Series(np.arange(2, 2 + len(raw)), index=raw.index)
    for col in theme.columns:
        if col.unique and col.name in checked.frame:
            dup, n = duplicates(checked.frame[col.name], lines, path.name, col)
            problems += dup
            total += n
    if total:
        raise SourceError(sorted(problems, key=lambda p: p.row or 0)[:20], total)
    frame = checked.frame
    frame["_file"] = path.name
    frame["_line"] = lines.to_numpy()
    return frame


def read_occupation(
    paths: Sequence[Path], logements: pd.DataFrame, d: Dictionary | None = None
) -> OccupationResult:
    """All landlord files of a vintage, matched to the vintage's dwellings."""
    d = d or dictionary()
    frames = [read_occupation_file(p, d) for p in paths]
    columns = [c.name for c in d.themes["occupation"].columns]
    if not frames:
        return OccupationResult(pd.DataFrame(columns=[*columns, "residence_id"]), 0)
    occ = pd.concat(frames, ignore_index=True)
    ident = occ["IDENT_REP"]
    across = ident.duplicated(keep=False)
    if across.any():
        first = occ[across].drop_duplicates("IDENT_REP").set_index("IDENT_REP")
        problems = []
        for _, r in occ[across & ident.duplicated(keep="first")].head(20).iterrows():
            f = first.loc[r["IDENT_REP"]]
            problems.append(
                Problem(
                    r["_file"], int(r["_line"]), "IDENT_REP", r["IDENT_REP"],
                    "un logement déclaré par un seul fichier d'occupation",
                    f"identifiant en double (déjà présent dans « {f['_file']} », ligne {f['_line']})",
                )
            )
        raise SourceError(problems, int((across & ident.duplicated(keep="first")).sum()))
    to_res = logements.set_index("IDENT_REP")["residence_id"]
    occ["residence_id"] = ident.map(to_res)
    warnings = []
    unmatched = occ["residence_id"].isna()
    for name, grp in occ[unmatched].groupby("_file", sort=True):
        warnings.append(
            LoadWarning(
                str(name), "occupation_non_rapprochee",
                "lignes d'occupation sans logement correspondant dans le RPLS du millésime",
                len(grp), grp["IDENT_REP"].head(10).tolist(),
            )
        )
    kept = occ.loc[~unmatched, [*columns, "residence_id"]].reset_index(drop=True)
    by_file = {str(k): int(v) for k, v in occ["_file"].value_counts().items()}
    return OccupationResult(plain_strings(kept), len(occ), warnings, by_file)
