"""The annual build: microdata store -> indicators -> secrecy engine + audit -> published base.

``build_vintage`` (``build_vintages`` for several) computes every indicator of the three
themes at every scale from the microdata store, applies primary and secondary suppression, has
the independent audit check everything that would be published, and only then writes the
vintage's folder of the published base (``indicators.parquet``, ``areas.parquet``,
``manifest.json``) — atomically, so a failed audit or an error leaves the previous base intact.
This is the only door from microdata to anything a person sees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import secrecy_adapter as sa
from workbench.areas import (
    AreaSet,
    area_table,
    attribution_areas,
    attribution_atoms,
    non_geographic_areas,
    residential_areas,
)
from workbench.config import paths
from workbench.counting import Counts, count_cells
from workbench.dictionary import Dictionary, dictionary
from workbench.fragility import fragility
from workbench.indicators import counted_indicators, has_version_loi
from workbench.proximity import distances
from workbench.secrecy.rules import Rules
from workbench.store import SHARED, MicrodataStore

INDICATOR_COLUMNS = ["vintage", "theme", "indicator", "category", "scale", "area_id", "base", "count", "value", "status"]
Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """The build refused to publish (French message)."""


@dataclass
class BuildResult:
    vintage: int
    folder: Path
    counts_by_status: dict[str, int]
    audit: dict[str, Any]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _attributions_window(store: MicrodataStore, vintage: int, years: int) -> tuple[pd.DataFrame, list[int]]:
    """Attributions of the last ``years`` vintages (leases of years V-1 .. V-years)."""
    frames, used = [], []
    for v in range(vintage - years + 1, vintage + 1):
        if store.has(v, "attributions"):
            frames.append(store.read(v, "attributions"))
            used.append(v)
    if not frames:
        return pd.DataFrame(), used
    return pd.concat(frames, ignore_index=True), used


def compute_theme_cells(
    store: MicrodataStore, vintage: int, d: Dictionary
) -> tuple[dict[str, tuple[Counts, AreaSet]], dict[str, Any]]:
    """Counts of every theme (cells with their area set) and the context the build needs."""
    communes = store.read(SHARED, "communes")
    residences = store.read(vintage, "residences")
    logements = store.read(vintage, "logements")
    areas = residential_areas(residences, communes)
    loi = has_version_loi(logements)
    themes: dict[str, tuple[pd.DataFrame, Any]] = {}
    themes["stock"] = (
        count_cells(logements, logements["residence_id"], areas, counted_indicators(d, "stock", loi), vintage, "stock"),
        areas,
    )
    if store.has(vintage, "occupation"):
        occ = store.read(vintage, "occupation")
        occ = occ[occ["residence_id"].isin(areas.atoms)]
        themes["occupation"] = (
            count_cells(occ, occ["residence_id"], areas, counted_indicators(d, "occupation"), vintage, "occupation"),
            areas,
        )
    years = int(d.themes["attributions"].raw.get("cumulated_years", 3))
    att, used = _attributions_window(store, vintage, years)
    if len(att):
        epci_id = str(communes["epci"].iloc[0])
        att_areas = attribution_areas(att, epci_id)
        themes["attributions"] = (
            count_cells(
                att, attribution_atoms(att), att_areas,
                counted_indicators(d, "attributions"), vintage, "attributions",
            ),
            att_areas,
        )
    context = {
        "communes": communes,
        "residences": residences,
        "logements": logements,
        "version_loi": loi,
        "attribution_vintages": used,
        "attributions": att,
    }
    return themes, context


def _value(cells: pd.DataFrame) -> pd.Series:
    share = cells["category"] != ""
    return pd.Series(
        np.where(share, cells["count"] / cells["base"].replace(0, np.nan), cells["count"]),
        index=cells.index,
    )


def _aliases(cells: pd.DataFrame, d: Dictionary, theme: str, threshold: int) -> pd.DataFrame:
    """Count indicators declared ``same_as`` a category: the very same cell, renamed."""
    out = []
    for ind in d.themes[theme].indicators.values():
        if not ind.same_as:
            continue
        target, cat = ind.same_as
        rows = cells[(cells.indicator == target) & (cells.category == cat)].copy()
        rows["indicator"], rows["category"], rows["base"] = ind.name, "", np.nan
        rows["value"] = rows["count"]
        # As a count it follows rule 1 on itself (the share row rests on its base instead).
        small = (rows["status"] == "published") & (rows["count"] < threshold)
        rows.loc[small, "status"] = "below_threshold"
        out.append(rows)
    return pd.concat(out, ignore_index=True) if out else cells.iloc[:0]


def _rent_ratio(cells: pd.DataFrame, logements: pd.DataFrame, areas, d: Dictionary) -> pd.DataFrame:
    """Mean rent per m² (ΣLOYERPRINC / ΣSURFHAB of let dwellings), published with its base."""
    ind = d.indicator("loyer_m2")
    let = logements[logements["MODE"].astype("string") == "1"]
    m, area_index = areas.matrix()
    atom_idx = areas.atoms.get_indexer(let["residence_id"])
    rent = np.bincount(atom_idx, weights=pd.to_numeric(let["LOYERPRINC"], errors="coerce").fillna(0), minlength=len(areas.atoms))
    surf = np.bincount(atom_idx, weights=pd.to_numeric(let["SURFHAB"], errors="coerce").fillna(0), minlength=len(areas.atoms))
    ratio = pd.Series((m @ rent) / np.where((m @ surf) > 0, m @ surf, np.nan), index=area_index)
    base = cells[(cells.indicator == ind.base)].set_index("area_id")
    out = base[["scale", "status", "count"]].copy()
    out["value"] = ratio.reindex(out.index).round(2)
    out = out.reset_index()
    out["theme"], out["indicator"], out["category"], out["base"] = ind.theme, ind.name, "", out["count"]
    return out


def _not_at_scale(residences: pd.DataFrame, d: Dictionary, vintage: int) -> pd.DataFrame:
    """Attribution figures at résidence scale: listed as withheld so the fiche can say why."""
    theme = d.themes["attributions"]
    if "residence" in theme.show_scales:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    return pd.DataFrame(
        {
            "vintage": vintage,
            "theme": "attributions",
            "indicator": "attributions",
            "category": "",
            "scale": "residence",
            "area_id": residences["residence_id"].to_numpy(),
            "base": np.nan,
            "count": np.nan,
            "value": np.nan,
            "status": "not_at_scale",
        }
    )


def atom_upper(theme: str, ctx: dict[str, Any]) -> pd.Series | None:
    """The attacker's bound per résidence: its public RPLS dwelling count bounds the dwellings
    and the households (one per dwelling); attributions have no such bound."""
    if theme in ("stock", "occupation"):
        return ctx["residences"].set_index("residence_id")["nb_logements"]
    return None


def _protect_timed(
    counts: Counts, areas: AreaSet, theme: str, d: Dictionary, rules: Rules,
    atom_upper: pd.Series | None,
) -> tuple[sa.ThemeResult, float]:
    t = time.perf_counter()
    result = sa.protect_theme(*sa.theme_table(counts, areas, theme, d, rules, atom_upper), rules)
    return result, time.perf_counter() - t


def _pool(workers: int) -> Executor:
    """Processes when there is more than one core (forked: no re-import), else in-process."""
    if workers <= 1:
        return _InlineExecutor()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


class _InlineExecutor(Executor):
    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


# Submission order of the themes' protections (longest first, from bench_build's figures): with
# several vintages on one pool, the long occupation tables start first and the short ones fill in.
LONGEST_FIRST = ("occupation", "stock", "attributions")


@dataclass
class _Pending:
    """A vintage whose themes are being protected in the pool."""

    vintage: int
    themes: dict[str, tuple[Counts, AreaSet]]
    ctx: dict[str, Any]
    jobs: dict[str, Future]
    t0: float
    timings: dict[str, float]


def build_vintage(
    vintage: int,
    store: MicrodataStore | None = None,
    published_root: Path | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build one vintage of the published base (atomic; refuses if the audit finds anything)."""
    (outcome,) = build_vintages([vintage], store, published_root, progress)
    if isinstance(outcome, BuildError):
        raise outcome
    return outcome


def build_vintages(
    vintages: list[int],
    store: MicrodataStore | None = None,
    published_root: Path | None = None,
    progress: Progress | None = None,
) -> Iterator[BuildResult | BuildError]:
    """Build several vintages, one result (or refusal) each, in order.

    Every theme of every vintage is an independent table: their protections share one pool of
    processes, longest first, so a core freed by a vintage's short themes goes on to the next
    vintage's while the longest runs (per vintage, the stock and the attributions take about
    half the occupation's time). Each vintage is written, atomically, as soon as its themes are
    done; a refused vintage does not stop the others.
    """
    d = dictionary()
    store = store or MicrodataStore()
    root = Path(published_root) if published_root else paths().published
    say = progress or (lambda _msg: None)
    rules = Rules.from_dictionary(d)
    prepared: list[_Pending | BuildError] = []
    loaded = store.vintages()
    for vintage in vintages:
        if vintage not in loaded:
            prepared.append(BuildError(f"le millésime {vintage} n'est pas chargé dans le magasin de microdonnées"))
            continue
        say(f"Millésime {vintage} — calcul des indicateurs")
        t0 = time.perf_counter()
        themes, ctx = compute_theme_cells(store, vintage, d)
        prepared.append(_Pending(vintage, themes, ctx, {}, t0, {"indicateurs": time.perf_counter() - t0}))
    pending = [p for p in prepared if isinstance(p, _Pending)]
    tasks = sorted(
        ((p, theme) for p in pending for theme in p.themes),
        key=lambda item: LONGEST_FIRST.index(item[1]) if item[1] in LONGEST_FIRST else len(LONGEST_FIRST),
    )
    workers = min(len(tasks), os.cpu_count() or 1)
    say(f"Secret statistique : {len(tasks)} tables sur {workers} cœur(s)")
    with _pool(workers) as pool:
        for p, theme in tasks:
            counts, areas = p.themes[theme]
            p.jobs[theme] = pool.submit(_protect_timed, counts, areas, theme, d, rules, atom_upper(theme, p.ctx))
        for p in prepared:
            if isinstance(p, BuildError):
                yield p
                continue
            try:
                yield _publish(p, store, root, d, rules, say)
            except BuildError as exc:
                yield exc


def _publish(
    p: _Pending, store: MicrodataStore, root: Path, d: Dictionary, rules: Rules, say: Progress,
) -> BuildResult:
    """Gather a vintage's protected themes, derive the other indicators and write its folder."""
    vintage, themes, ctx, timings = p.vintage, p.themes, p.ctx, p.timings
    protected: list[pd.DataFrame] = []
    audits: dict[str, Any] = {}
    for theme in themes:
        result, seconds = p.jobs[theme].result()
        timings[f"secret_{theme}"] = seconds
        say(f"Millésime {vintage} — secret statistique : {d.themes[theme].label} ({seconds:.0f} s)")
        if not result.audit_ok:
            raise BuildError(
                f"l'audit du secret statistique a trouvé {result.disclosures} donnée(s) "
                f"masquée(s) recalculable(s) pour le thème « {d.themes[theme].label} » : "
                "rien n'est publié."
            )
        audits[theme] = result.audit_summary
        protected.append(result.cells)

    say(f"Millésime {vintage} — indicateurs dérivés (alias, loyers, fragilité, distances)")
    cells = pd.concat(protected, ignore_index=True)
    cells["value"] = _value(cells)
    extra = [_aliases(cells[cells.theme == t], d, t, rules.threshold) for t in themes]
    if ctx["version_loi"] and "stock" in themes:
        stock = pd.concat([cells[cells.theme == "stock"], *extra], ignore_index=True)  # its base may be an alias
        extra.append(_rent_ratio(stock[stock.theme == "stock"], ctx["logements"], themes["stock"][1], d))
    cells = pd.concat([cells, *extra], ignore_index=True)
    cells["vintage"] = vintage
    cells = cells[INDICATOR_COLUMNS]
    equipment = store.read(SHARED, "equipements") if store.has(SHARED, "equipements") else None
    more = [fragility(cells, d, vintage)]
    if "attributions" in themes:
        more.append(_not_at_scale(ctx["residences"], d, vintage))
    if equipment is not None:
        more.append(distances(ctx["residences"], equipment, d, vintage))
    indicators = pd.concat([cells, *more], ignore_index=True)[INDICATOR_COLUMNS]
    withheld = indicators["status"] != "published"
    indicators.loc[withheld, ["base", "count", "value"]] = np.nan
    indicators = indicators.astype(
        {"vintage": "int32", "base": "float64", "count": "float64", "value": "float64"}
    )
    for col in ("theme", "indicator", "category", "scale", "area_id", "status"):
        indicators[col] = indicators[col].astype(str)
    indicators = indicators.sort_values(["theme", "indicator", "scale", "area_id", "category"]).reset_index(drop=True)

    say(f"Millésime {vintage} — zones et géométries")
    extra_areas = non_geographic_areas(d, ctx["attributions"]) if len(ctx["attributions"]) else None
    areas_gdf = area_table(
        ctx["residences"],
        ctx["communes"],
        store.read(SHARED, "iris"),
        store.read(SHARED, "qpv"),
        extra=extra_areas,
    )

    say(f"Millésime {vintage} — écriture de la base publiée")
    counts = indicators["status"].value_counts().to_dict()
    meta = store.meta(vintage)
    manifest = {
        "vintage": vintage,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sources": meta.get("sources", []),
        "attribution_vintages": ctx["attribution_vintages"],
        "version_loi": bool(ctx["version_loi"]),
        "rules": sa.rules_manifest(rules),
        "counts_by_status": {k: int(v) for k, v in sorted(counts.items())},
        "audit": audits,
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    folder = _write_atomically(root, vintage, indicators, areas_gdf, manifest)
    seconds = time.perf_counter() - p.t0
    return BuildResult(vintage, folder, manifest["counts_by_status"], audits, seconds, timings)


def _write_atomically(root: Path, vintage: int, indicators: pd.DataFrame, areas, manifest: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{vintage}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        indicators.to_parquet(tmp / "indicators.parquet", index=False)
        areas.to_parquet(tmp / "areas.parquet", index=False)
        manifest["checksums"] = {
            name: _sha256(tmp / name) for name in ("indicators.parquet", "areas.parquet")
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        target = root / str(vintage)
        old = None
        if target.exists():
            old = root / f".old-{vintage}-{uuid.uuid4().hex}"
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old)
        return target
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def published_vintages(root: Path | None = None) -> list[int]:
    root = Path(root) if root else paths().published
    if not root.exists():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def prune(keep_years: int | None = None, today: dt.date | None = None, root: Path | None = None) -> list[int]:
    """Remove published vintages older than the retention period (12 years by default)."""
    d = dictionary()
    keep = keep_years if keep_years is not None else int(d.retention.get("published_years", 12))
    year = (today or dt.date.today()).year
    root = Path(root) if root else paths().published
    removed = []
    for v in published_vintages(root):
        if v < year - keep:
            shutil.rmtree(root / str(v))
            removed.append(v)
    return removed
