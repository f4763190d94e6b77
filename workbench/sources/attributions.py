"""SNE attributions CSV (one row per attribution followed by a signed lease).

Attributions of vintage V are the leases signed during year V-1. A row is tied to a résidence
when its RPLS id is known in any loaded vintage; otherwise it still counts at commune,
landlord and réservataire scales (``residence_id`` empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.dictionary import Dictionary, dictionary
from workbench.sources.errors import LoadWarning, Problem, SourceError
from workbench.sources.reading import read_csv_chunks
from workbench.sources.validate import check_frame, duplicates, plain_strings


@dataclass
class AttributionsResult:
    attributions: pd.DataFrame
    warnings: list[LoadWarning] = field(default_factory=list)


def read_attributions(
    path: Path, vintage: int, residence_of: pd.Series, d: Dictionary | None = None
) -> AttributionsResult:
    """Validate and load an SNE file; ``residence_of`` maps IDENT_REP to residence_id."""
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
        warnings.append(
            LoadWarning(
                file, "attribution_sans_identifiant",
                "attribution sans identifiant RPLS (adresse seule, comptée hors résidence)",
                int(no_id.sum()), df.loc[no_id, "ID_ATTRIBUTION"].head(10).tolist(),
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
