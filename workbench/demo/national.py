"""National-size demo for benchmarks: ≈ 5.4 million dwellings on a fictional grid of France.

98 fictional départements of ~360 square communes (≈ 36,000), the populous ones cut
into IRIS squares (≈ 45,000-50,000 IRIS), QPV squares across IRIS boundaries in the large
communes. Stock, households and attributions come from the same code as the MEL demo, one
département at a time, appended to the CSV files: memory stays bounded by one département.
Occupation workbooks are written for the first département only (a subset, said so in the
summary), the RPLS and SNE files cover the whole country.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import box

from workbench.demo.attributions import attributions, commune_effects
from workbench.demo.geography import L93, Geography
from workbench.demo.mel import (
    DemoSummary,
    landlord_prefix,
    occupation_frame,
    rpls_frame,
    write_occupation,
)
from workbench.demo.stock import describe_residences, expand_dwellings, place_residences
from workbench.demo.tenancy import Tenancy, advance, initial
from workbench.demo.writers import prepare_sources, rpls_header, write_csv, write_geography

# Numeric codes only: the SNE, BPE and IRIS files require 5-digit commune codes (no 2A/2B).
DEPARTEMENTS = [f"{k:02d}" for k in range(1, 100) if k != 20]
GRID = 19  # communes per side of a département
DEPT_W, DEPT_H = 110_000.0, 100_000.0  # metres (Lambert-93)
X0, Y0 = 100_000.0, 6_100_000.0
DWELLINGS_PER_DEPT = 55_500
HOUSEHOLDS_PER_IRIS = 2_500


def departement_geography(k: int, dep: str, rng: np.random.Generator) -> Geography:
    """Square communes, square IRIS and QPV of one fictional département (Lambert-93)."""
    ox, oy = X0 + (k % 10) * DEPT_W, Y0 + (k // 10) * DEPT_H  # 10 x 10 blocks
    cw, ch = DEPT_W / GRID, DEPT_H / GRID
    hh = np.exp(rng.normal(6.0, 1.3, GRID * GRID))
    hh[rng.integers(0, GRID * GRID)] = rng.uniform(40_000, 120_000)  # the préfecture
    com_rows, iris_rows, qpv_rows = [], [], []
    for c in range(GRID * GRID):
        code = f"{dep}{c + 1:03d}"
        x, y = ox + (c % GRID) * cw, oy + (c // GRID) * ch
        name = f"Commune fictive {code}"
        com_rows.append({"code": code, "nom": name, "geometry": box(x, y, x + cw, y + ch)})
        split = int(np.ceil(np.sqrt(hh[c] / HOUSEHOLDS_PER_IRIS)))
        if split <= 1:
            iris_rows.append({"CODE_IRIS": f"{code}0000", "INSEE_COM": code, "NOM_COM": name,
                              "IRIS": "0000", "NOM_IRIS": name, "TYP_IRIS": "Z",
                              "P19_PMEN": hh[c], "geometry": box(x, y, x + cw, y + ch)})
            continue
        sw, sh = cw / split, ch / split
        for i in range(split * split):
            ix, iy = x + (i % split) * sw, y + (i // split) * sh
            iris_rows.append({"CODE_IRIS": f"{code}{i + 1:04d}", "INSEE_COM": code,
                              "NOM_COM": name, "IRIS": f"{i + 1:04d}",
                              "NOM_IRIS": f"{name} — IRIS {i + 1}", "TYP_IRIS": "H",
                              "P19_PMEN": hh[c] / split**2, "geometry": box(ix, iy, ix + sw,
                                                                             iy + sh)})
        if hh[c] > 8_000:  # priority neighbourhoods on IRIS corners, so they cross them
            for q in range(1 + int(hh[c] > 30_000) + int(hh[c] > 60_000)):
                cx = x + sw * (1 + q % max(split - 1, 1))
                cy = y + sh * (1 + q // max(split - 1, 1) % max(split - 1, 1))
                half = rng.uniform(350, 700)
                qpv_rows.append({
                    "code_qp": f"QN{k + 1:03d}{len(qpv_rows) + 1:02d}F",
                    "lib_qp": f"QPV fictif — {name} {'ABC'[q]}",
                    "insee_com": code, "lib_com": name, "siren_epci": "",
                    "geometry": box(cx - half, cy - half, cx + half, cy + half),
                })
    communes = gpd.GeoDataFrame(com_rows, geometry="geometry", crs=L93)
    iris = gpd.GeoDataFrame(iris_rows, geometry="geometry", crs=L93)
    qpv = gpd.GeoDataFrame(qpv_rows, geometry="geometry", crs=L93)
    postcode = f"{dep}000"
    return Geography(communes=communes, iris=iris, qpv=qpv,
                     postcodes=dict.fromkeys(communes.code, postcode))


def generate_national(
    sources: Path,
    seed: int = 2024,
    vintages: Sequence[int] = (2024,),
    scale: float = 1.0,
    step: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Write the national-size sources; ``scale`` keeps a fraction of the départements."""
    started = time.perf_counter()
    say = step or (lambda msg: None)
    vintages = sorted({int(v) for v in vintages})
    deps = DEPARTEMENTS[: max(1, round(len(DEPARTEMENTS) * scale))]
    root = np.random.SeedSequence(seed)
    summary = DemoSummary(sources=sources, seed=seed)
    prepare_sources(sources, vintages, f"France fictive ({len(deps)} départements), graine "
                    f"{seed}, millésimes {', '.join(map(str, vintages))}.")
    say("Géographie nationale fictive")
    geos = [departement_geography(k, dep, np.random.default_rng(root.spawn(1)[0]))
            for k, dep in enumerate(deps)]
    geo_dir = sources / "geographie"
    communes = pd.concat([g.communes for g in geos], ignore_index=True)
    iris = pd.concat([g.iris for g in geos], ignore_index=True)
    qpv = pd.concat([g.qpv for g in geos], ignore_index=True)
    geo_dir.mkdir(parents=True, exist_ok=True)
    (geo_dir / "communes.geojson").unlink(missing_ok=True)
    communes.to_crs("EPSG:4326").to_file(geo_dir / "communes.geojson", driver="GeoJSON",
                                          engine="pyogrio")
    write_geography(None, gpd.GeoDataFrame(iris, crs=L93), gpd.GeoDataFrame(qpv, crs=L93),
                    geo_dir)
    summary.communes, summary.iris, summary.qpv = len(communes), len(iris), len(qpv)
    eq_rng = np.random.default_rng(root.spawn(1)[0])
    centres = iris.sample(n=min(len(iris), 40 * len(deps)), random_state=eq_rng.integers(1 << 31))
    types = ["C107", "C108", "C201", "E109", "E199", "D265", "D307", "B207", "B316", "B104"]
    pts = centres.geometry.representative_point()
    bpe = pd.DataFrame({
        "AN": vintages[-1] - 1, "DEPCOM": centres.INSEE_COM.to_numpy(),
        "DCIRIS": centres.CODE_IRIS.to_numpy(), "TYPEQU": eq_rng.choice(types, len(centres)),
        "LAMBERT_X": pts.x.round(2).to_numpy(), "LAMBERT_Y": pts.y.round(2).to_numpy(),
        "QUALITE_XY": "Bonne",
    })
    write_csv(bpe, geo_dir / "bpe.csv")
    summary.equipment = len(bpe)
    del communes, iris, qpv

    to_wgs = Transformer.from_crs(L93, "EPSG:4326", always_xy=True)
    started_files: set[Path] = set()
    for k, (dep, geo) in enumerate(zip(deps, geos, strict=True)):
        say(f"Département fictif {dep} ({k + 1}/{len(deps)})")
        rng = np.random.default_rng(root.spawn(1)[0])
        res = place_residences(geo, DWELLINGS_PER_DEPT, rng)
        res = describe_residences(res, geo.postcodes, vintages[0], rng)
        dw = expand_dwellings(res, k * 10_000_000, rng)
        owner = res.bailleur.to_numpy()[dw.res.to_numpy()]
        order = dw.groupby(owner).cumcount().to_numpy() + 1
        dw["ID_LOGEMENT_BAILLEUR"] = (
            landlord_prefix(res)[dw.res.to_numpy()]
            + f"-{dep}-" + pd.Series(order).astype(str).str.zfill(7).to_numpy())
        epsg = np.where(rng.random(len(dw)) < 0.06, 4326, 2154)
        lon, lat = to_wgs.transform(res.x.to_numpy(), res.y.to_numpy())
        lonlat = np.column_stack([lon, lat])[dw.res.to_numpy()]
        effects = commune_effects(list(res.depcom.unique()), rng)
        state: Tenancy | None = None
        for year in range(vintages[0], vintages[-1] + 1):
            state = initial(dw, res, year, rng) if state is None else advance(state, dw, res, rng)
            if year not in vintages:
                continue
            folder = sources / str(year)
            rpls = rpls_frame(state, dw, res, epsg, lonlat, vintages[0])
            rpls.columns = rpls_header(2023 if year < 2024 else 2025)
            att = attributions(state, dw, res, effects, rng, prefix=dep)
            for path, frame in ((folder / f"rpls_{year}.csv", rpls),
                                (folder / f"attributions_sne_{year}.csv", att)):
                first = path not in started_files
                write_csv(frame, path, header=first, mode="w" if first else "a")
                started_files.add(path)
            summary.dwellings[year] = summary.dwellings.get(year, 0) + len(rpls)
            summary.residences[year] = summary.residences.get(year, 0) + len(res)
            summary.households[year] = summary.households.get(year, 0) + int(
                state.rented().sum())
            summary.attributions[year] = summary.attributions.get(year, 0) + len(att)
            if k == 0:  # occupation: first département only (a subset for benchmarks)
                occ = occupation_frame(state, dw, res, rng)
                summary.respondents[year] = int((occ.REPONDU == "O").sum())
                summary.occupation_files[year] = write_occupation(occ, folder / "occupation")
    summary.seconds = time.perf_counter() - started
    return summary
