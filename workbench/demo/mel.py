"""The MEL demo: real communes and IRIS, fictional stock, households and attributions.

Writes ``<sources>/geographie`` and one folder per vintage in the producers' formats (see
the data contract), so the demo always goes through the real loaders.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from workbench.demo.attributions import attributions, commune_effects
from workbench.demo.equipment import equipment
from workbench.demo.geography import L93, build_geography
from workbench.demo.households import HOUSEHOLD_COLUMNS
from workbench.demo.stock import describe_residences, encode_ids, expand_dwellings, place_residences
from workbench.demo.tenancy import RENTED, Tenancy, advance, initial
from workbench.demo.writers import (
    MEL_COMMUNES_FILE,
    RPLS_COLUMNS,
    prepare_sources,
    rpls_header,
    write_csv,
    write_geography,
    write_workbook,
)

MEL_DWELLINGS = 118_000
NEW_RESIDENCES_SHARE = 0.012  # dwellings added by new résidences each year
WGS84_ROWS = 0.06  # RPLS rows geocoded in lon/lat rather than Lambert-93
ODS_LANDLORDS = 3  # the smallest landlords send OpenDocument files, the others Excel

OCCUPATION_OF_MODE = {1: "LOUE", 5: "LOUE", 2: "VACANT", 3: "VACANT", 4: "TIERS"}
OCCUPATION_COLUMNS = [
    "BAILLEUR", "ID_LOGEMENT_BAILLEUR", "IDENT_REP", "OCCUPATION", "REPONDU",
    "SITUATION_FAMILIALE", "NB_OCCUPANTS", "NB_ENFANTS", "AGE_TITULAIRE", "PLAFONDS",
    "ACTIVITE", "APL", "EMMENAGE_RECENT",
]


@dataclass
class DemoSummary:
    """Magnitudes of what was written (printed by the CLI, checked by the tests)."""

    sources: Path
    seed: int
    communes: int = 0
    iris: int = 0
    qpv: int = 0
    equipment: int = 0
    residences: dict[int, int] = field(default_factory=dict)
    dwellings: dict[int, int] = field(default_factory=dict)
    households: dict[int, int] = field(default_factory=dict)
    respondents: dict[int, int] = field(default_factory=dict)
    attributions: dict[int, int] = field(default_factory=dict)
    occupation_files: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


def slug(name: str) -> str:
    """File-name slug of a landlord name ("Bailleur Érable" -> "bailleur-erable")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())


def landlord_prefix(res: pd.DataFrame) -> np.ndarray:
    """Per résidence, the 3-letter prefix of its landlord's own dwelling identifiers."""
    names = res.bailleur.unique()
    prefixes = {n: slug(n).split("-")[-1][:3].upper() for n in names}
    return res.bailleur.map(prefixes).to_numpy().astype(object)


def _dedupe_addresses(res: pd.DataFrame) -> pd.DataFrame:
    """Give a 'B', 'T'… suffix to any address already used in the same commune."""
    key = ["depcom", "numvoie", "typvoie", "nomvoie"]
    for suffix in "BTQC":
        dup = res.duplicated(key)
        if not dup.any():
            break
        res.loc[dup, "numvoie"] = res.loc[dup, "numvoie"] + suffix
    return res


def build_residences(geo, total: int, vintages: Sequence[int], rng: np.random.Generator
                     ) -> pd.DataFrame:
    """Résidences of the first vintage, plus the few built before each later vintage."""
    first = vintages[0]
    parts = [describe_residences(place_residences(geo, total, rng), geo.postcodes, first, rng)]
    for v in range(first + 1, vintages[-1] + 1):
        new = place_residences(geo, max(int(total * NEW_RESIDENCES_SHARE), 40), rng,
                               qpv_share=0.0)
        new = describe_residences(new, geo.postcodes, v, rng)
        new["construct"] = v - 1
        new["locat"] = v - 1
        new["homog"] = ""
        parts.append(new)
    res = _dedupe_addresses(pd.concat(parts, ignore_index=True))
    # Urban renewal: a QPV tower is emptied at the second vintage, then demolished; its size
    # stays small beside a year of attributions (its tenants are rehoused through them).
    if len(vintages) >= 2:
        towers = res[(res.code_qp != "") & (res.first_vintage == first)
                     & (res["size"] <= max(20, total * 0.0015))]
        if len(towers):
            res.loc[towers["size"].idxmax(), "last_vintage"] = first + 1
    return res


def rpls_frame(state: Tenancy, dw: pd.DataFrame, res: pd.DataFrame, epsg: np.ndarray,
               lonlat: np.ndarray, first_vintage: int) -> pd.DataFrame:
    """The RPLS rows of the dwellings present at 1 January of ``state.vintage``."""
    idx = np.flatnonzero(state.active)
    r = dw.res.to_numpy()[idx]
    x = res.x.to_numpy()[r].round(2)
    y = res.y.to_numpy()[r].round(2)
    wgs = epsg[idx] == 4326
    x = np.where(wgs, lonlat[idx, 0].round(6), x)
    y = np.where(wgs, lonlat[idx, 1].round(6), y)
    code_qp = res.code_qp.to_numpy()[r]
    mode = state.mode[idx]
    leased = state.bail_y[idx] > 0
    bail = np.where(
        leased,
        pd.Series(state.bail_m[idx]).astype(str).str.zfill(2).to_numpy() + "/"
        + pd.Series(state.bail_y[idx]).astype(str).to_numpy(),
        "",
    )
    dureevac = pd.array(np.where(np.isin(mode, (2, 3)), state.dureevac[idx], -1), dtype="Int64")
    dureevac[np.asarray(dureevac) == -1] = pd.NA
    indexation = 1.02 ** (state.vintage - first_vintage)
    df = pd.DataFrame({
        "IDENT_REP": dw.IDENT_REP.to_numpy()[idx],
        "DEPCOM": res.depcom.to_numpy()[r],
        "LIBCOM": res.libcom.to_numpy()[r],
        "NUMVOIE": res.numvoie.to_numpy()[r],
        "TYPVOIE": res.typvoie.to_numpy()[r],
        "NOMVOIE": res.nomvoie.to_numpy()[r],
        "CODEPOSTAL": res.codepostal.to_numpy()[r],
        "TYPECONST": res.typeconst.to_numpy()[r],
        "NBPIECE": dw.NBPIECE.to_numpy()[idx],
        "SURFHAB": dw.SURFHAB.to_numpy()[idx],
        "CONSTRUCT": res.construct.to_numpy()[r],
        "LOCAT": res.locat.to_numpy()[r],
        "FINAN": dw.FINAN.to_numpy()[idx],
        "DPEENERGIE": dw.DPEENERGIE.to_numpy()[idx],
        "QPV": np.where(code_qp != "", "1", "2"),
        "PLG_QP24": code_qp,
        "PLG_IRIS2024_CODE": res.code_iris.to_numpy()[r],
        "EPSG": epsg[idx],
        "X": x,
        "Y": y,
        "RS": res.bailleur.to_numpy()[r],
        "MODE": mode,
        "DUREEVAC": dureevac,
        "BAIL": bail,
        "LOYERPRINC": (dw.LOYERPRINC.to_numpy()[idx] * indexation).round(2),
        "CONTRESLOG": dw.CONTRESLOG.to_numpy()[idx],
    })
    return df[RPLS_COLUMNS]


def occupation_frame(state: Tenancy, dw: pd.DataFrame, res: pd.DataFrame,
                     rng: np.random.Generator) -> pd.DataFrame:
    """Rows of every landlord's occupation file (one per dwelling), survey answers included."""
    idx = np.flatnonzero(state.active)
    r = dw.res.to_numpy()[idx]
    mode = state.mode[idx]
    loue = np.isin(mode, RENTED)
    answered = loue & (rng.random(len(idx)) < res.response_rate.to_numpy()[r])
    df = pd.DataFrame({
        "BAILLEUR": res.bailleur.to_numpy()[r],
        "ID_LOGEMENT_BAILLEUR": dw.ID_LOGEMENT_BAILLEUR.to_numpy()[idx],
        "IDENT_REP": dw.IDENT_REP.to_numpy()[idx],
        "OCCUPATION": pd.Series(mode).map(OCCUPATION_OF_MODE).to_numpy(),
        "REPONDU": np.where(answered, "O", "N"),
    })
    for col in HOUSEHOLD_COLUMNS:
        if col != "z":
            df[col] = np.where(answered, state.households[col][idx], None)
    for col in ("NB_OCCUPANTS", "NB_ENFANTS", "AGE_TITULAIRE"):
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    recent = np.where(state.bail_y[idx] >= state.vintage - 2, "O", "N")
    df["EMMENAGE_RECENT"] = np.where(answered, recent, None)
    return df[OCCUPATION_COLUMNS]


def write_occupation(occ: pd.DataFrame, folder: Path) -> int:
    """One workbook per landlord; the smallest ones as .ods. Returns the number of files."""
    sizes = occ.BAILLEUR.value_counts()
    ods = set(sizes.index[-ODS_LANDLORDS:])
    biggest = sizes.index[0]
    for name, rows in occ.groupby("BAILLEUR", sort=True):
        rows = rows.reset_index(drop=True)
        if name == biggest:  # dwellings sold during the year: not in the RPLS any more
            gone = rows.iloc[:3].copy()
            gone["IDENT_REP"] = encode_ids(np.arange(3) + 10**12)
            gone["ID_LOGEMENT_BAILLEUR"] = [f"VENDU-{k}" for k in range(3)]
            gone["OCCUPATION"] = "LOUE"
            rows = pd.concat([rows, gone], ignore_index=True)
        ext = ".ods" if name in ods else ".xlsx"
        write_workbook(rows, folder / f"{slug(name)}{ext}")
    return len(sizes)


def generate_mel(
    sources: Path,
    seed: int = 2024,
    vintages: Sequence[int] = (2022, 2023, 2024),
    scale: float = 1.0,
    occupation: bool = True,
    step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write the MEL demo sources under ``sources``; ``scale`` < 1 only to keep tests fast."""
    started = time.perf_counter()
    say = step or (lambda msg: None)
    vintages = sorted({int(v) for v in vintages})
    seeds = np.random.SeedSequence(seed).spawn(8)
    rng_geo, rng_res, rng_dw, rng_ten, rng_occ, rng_att, rng_eq, rng_xy = (
        np.random.default_rng(s) for s in seeds
    )
    summary = DemoSummary(sources=sources, seed=seed)
    prepare_sources(sources, vintages, f"Métropole Européenne de Lille, graine {seed}, "
                    f"millésimes {', '.join(map(str, vintages))}, échelle {scale:g}.")
    say("Géographie : communes, IRIS et QPV fictifs")
    geo = build_geography(rng_geo)
    geo_dir = sources / "geographie"
    write_geography(MEL_COMMUNES_FILE, geo.iris, geo.qpv, geo_dir)
    eq = equipment(geo.iris, vintages[-1] - 1, rng_eq, scale=max(scale, 0.2))
    write_csv(eq, geo_dir / "bpe.csv")
    summary.communes, summary.iris = len(geo.communes), len(geo.iris)
    summary.qpv, summary.equipment = len(geo.qpv), len(eq)

    say("Parc : résidences et logements")
    res = build_residences(geo, int(MEL_DWELLINGS * scale), vintages, rng_res)
    dw = expand_dwellings(res, 0, rng_dw)
    order = dw.groupby(res.bailleur.to_numpy()[dw.res.to_numpy()]).cumcount().to_numpy() + 1
    prefix = landlord_prefix(res)[dw.res.to_numpy()]
    dw["ID_LOGEMENT_BAILLEUR"] = prefix + "-" + pd.Series(order).astype(str).str.zfill(7)
    epsg = np.where(rng_xy.random(len(dw)) < WGS84_ROWS, 4326, 2154)
    to_wgs = Transformer.from_crs(L93, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(res.x.to_numpy(), res.y.to_numpy())
    lonlat = np.column_stack([lon, lat])[dw.res.to_numpy()]
    effects = commune_effects(list(res.depcom.unique()), rng_att)

    state: Tenancy | None = None
    for year in range(vintages[0], vintages[-1] + 1):
        state = initial(dw, res, year, rng_ten) if state is None else advance(state, dw, res,
                                                                             rng_ten)
        if year not in vintages:
            continue
        folder = sources / str(year)
        say(f"Millésime {year} : RPLS")
        rpls = rpls_frame(state, dw, res, epsg, lonlat, vintages[0])
        out = rpls.copy()
        out.columns = rpls_header(2023 if year < 2024 else 2025)
        write_csv(out, folder / f"rpls_{year}.csv")
        say(f"Millésime {year} : attributions")
        att = attributions(state, dw, res, effects, rng_att)
        write_csv(att, folder / f"attributions_sne_{year}.csv")
        summary.dwellings[year] = len(rpls)
        summary.residences[year] = int(
            res.index[(res.first_vintage <= year) & (res.last_vintage >= year)].size)
        summary.households[year] = int(state.rented().sum())
        summary.attributions[year] = len(att)
        if occupation:
            say(f"Millésime {year} : fichiers d'occupation des bailleurs")
            occ = occupation_frame(state, dw, res, rng_occ)
            summary.respondents[year] = int((occ.REPONDU == "O").sum())
            summary.occupation_files[year] = write_occupation(occ, folder / "occupation")
    summary.seconds = time.perf_counter() - started
    return summary
