"""Loading one vintage (RPLS, occupation files, SNE attributions) and the shared geography.

Every file of a vintage is validated before the vintage is written, and the store swaps the
vintage folder in atomically: a rejected file leaves the previous content untouched.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.dictionary import Dictionary, dictionary
from workbench.sources.attributions import read_attributions
from workbench.sources.errors import LoadWarning, reject
from workbench.sources.geography import read_geography
from workbench.sources.occupation import occupation_files, read_occupation
from workbench.sources.reading import sha256
from workbench.sources.rpls import read_rpls
from workbench.store import SHARED, MicrodataStore

GEOGRAPHY_FOLDER = "geographie"
Progress = Callable[[str], None]


@dataclass
class GeographySummary:
    communes: int
    iris: int
    qpv: int
    equipements: int
    files: list[str]
    warnings: list[LoadWarning] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class VintageSummary:
    """What a vintage load put in the store (figures shown to the administrator)."""

    vintage: int
    logements: int
    residences: int
    menages: int
    repondants: int
    attributions_par_annee: dict[int, int]
    version_loi: bool
    files: list[str]
    warnings: list[LoadWarning] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def taux_reponse(self) -> float | None:
        return self.repondants / self.menages if self.menages else None

    @property
    def nb_warnings(self) -> int:
        return sum(w.count for w in self.warnings)


@dataclass
class LoadSummary:
    geography: GeographySummary | None
    vintages: list[VintageSummary]
    seconds: float = 0.0


def available_vintages(sources: Path) -> list[int]:
    """Vintage folders (``sources/<year>/``) holding an RPLS file."""
    if not sources.is_dir():
        return []
    return sorted(
        int(p.name) for p in sources.iterdir()
        if p.is_dir() and re.fullmatch(r"\d{4}", p.name) and (p / f"rpls_{p.name}.csv").exists()
    )


def _file_meta(paths: Sequence[Path], rows: dict[str, int]) -> list[dict[str, object]]:
    return [{"file": p.name, "sha256": sha256(p), "rows": rows.get(p.name)} for p in paths]


def load_geography(
    sources: Path, store: MicrodataStore, d: Dictionary | None = None
) -> GeographySummary:
    """Validate ``sources/geographie`` and write it as the store's shared tables."""
    t0 = time.perf_counter()
    result = read_geography(sources / GEOGRAPHY_FOLDER, d or dictionary())
    t = result.tables
    rows = {p.name: len(t[k]) for p, k in zip(result.files, _keys(result.files), strict=False)}
    meta = {
        "sources": _file_meta(result.files, rows),
        "row_counts": {k: len(v) for k, v in t.items()},
        "warnings": [w.as_dict() for w in result.warnings],
        "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    store.write_vintage(SHARED, t, meta)
    return GeographySummary(
        len(t["communes"]), len(t["iris"]), len(t["qpv"]), len(t["equipements"]),
        [p.name for p in result.files], result.warnings, time.perf_counter() - t0,
    )


def _keys(files: Sequence[Path]) -> list[str]:
    return ["equipements" if p.stem == "bpe" else p.stem for p in files]


ADDRESS_COLUMNS = ["IDENT_REP", "residence_id", "DEPCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE", "RS"]


def _known_dwellings(store: MicrodataStore, vintage: int, current: pd.DataFrame) -> pd.DataFrame:
    """Id, résidence and address of the dwellings of this vintage and every other loaded one."""
    frames = [current[[c for c in ADDRESS_COLUMNS if c in current]]]
    for v in store.vintages():
        if v != vintage and store.has(v, "logements"):
            other = store.read(v, "logements")
            frames.append(other[[c for c in ADDRESS_COLUMNS if c in other]])
    return pd.concat(frames, ignore_index=True).drop_duplicates("IDENT_REP", keep="first")


def load_vintage(
    sources: Path,
    vintage: int,
    store: MicrodataStore,
    d: Dictionary | None = None,
    progress: Progress | None = None,
) -> VintageSummary:
    """Validate every file of ``sources/<vintage>/`` then write the vintage atomically."""
    d = d or dictionary()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    folder = sources / str(vintage)
    rpls_path = folder / f"rpls_{vintage}.csv"
    if not rpls_path.exists():
        raise reject(rpls_path, "le fichier RPLS du millésime", f"fichier introuvable : {rpls_path}")
    communes = store.read(SHARED, "communes") if store.has(SHARED, "communes") else None
    say(f"{vintage} : RPLS")
    rpls = read_rpls(rpls_path, communes, d)
    files, rows = [rpls_path], {rpls_path.name: len(rpls.logements)}
    warnings = list(rpls.warnings)
    tables = {"logements": rpls.logements, "residences": rpls.residences}

    occ_paths = occupation_files(folder / "occupation")
    menages = repondants = 0
    if occ_paths:
        say(f"{vintage} : fichiers d'occupation ({len(occ_paths)})")
        occ = read_occupation(occ_paths, rpls.logements, d)
        tables["occupation"] = occ.occupation
        warnings += occ.warnings
        files += occ_paths
        rows.update(occ.rows_by_file)
        from workbench.indicators import respondent

        let = occ.occupation["OCCUPATION"] == "LOUE"
        menages = int(let.sum())
        repondants = int(respondent(occ.occupation).sum())

    att_path = folder / f"attributions_sne_{vintage}.csv"
    per_year: dict[int, int] = {}
    if att_path.exists():
        say(f"{vintage} : attributions")
        att = read_attributions(att_path, vintage, _known_dwellings(store, vintage, rpls.logements), d)
        tables["attributions"] = att.attributions
        warnings += att.warnings
        files.append(att_path)
        rows[att_path.name] = len(att.attributions)
        per_year = {int(k): int(v) for k, v in att.attributions["annee"].value_counts().sort_index().items()}

    say(f"{vintage} : écriture dans le magasin")
    meta = {
        "vintage": vintage,
        "sources": _file_meta(files, rows),
        "row_counts": {k: len(v) for k, v in tables.items()},
        "version_loi": rpls.version_loi,
        "warnings": [w.as_dict() for w in warnings],
        "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    store.write_vintage(vintage, tables, meta)
    return VintageSummary(
        vintage=vintage,
        logements=len(rpls.logements),
        residences=len(rpls.residences),
        menages=menages,
        repondants=repondants,
        attributions_par_annee=per_year,
        version_loi=rpls.version_loi,
        files=[p.name for p in files],
        warnings=warnings,
        seconds=time.perf_counter() - t0,
    )


def load_all(
    sources: Path,
    store: MicrodataStore,
    vintages: Sequence[int] | None = None,
    d: Dictionary | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Shared geography (if present) then each vintage in ascending order."""
    d = d or dictionary()
    t0 = time.perf_counter()
    geo = None
    if (sources / GEOGRAPHY_FOLDER).is_dir():
        (progress or (lambda _m: None))("Géographie")
        geo = load_geography(sources, store, d)
    wanted = sorted(vintages) if vintages else available_vintages(sources)
    if not wanted:
        raise reject(
            sources, "des dossiers de millésime (ex. 2024/) contenant rpls_<millésime>.csv",
            f"aucun millésime trouvé dans {sources}",
        )
    summaries = [load_vintage(sources, v, store, d, progress) for v in wanted]
    return LoadSummary(geo, summaries, time.perf_counter() - t0)
