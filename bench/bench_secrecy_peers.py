"""Peer benchmark of the secrecy engine: ours vs pytauargus (τ-Argus, MOD) vs ACRO.

Same synthetic tables for every tool (bench/peer_tables.py, docs: peers.md), rule "no cell
under 11" only (zeros published, as τ-Argus has no 0 % rule). Each tool runs in its own child
process; wall time is the tool's call only, memory is the child's peak RSS (ru_maxrss, which
includes Python, pandas and the generated case: ``rss_before`` says how much was there
before the call). Then OUR audit (workbench.secrecy.audit) judges every tool's output, at our
requirement (±3) and at the one τ-Argus's FREQ(11,10) works to (±1); ``ours-1`` is our engine
held to that same ±1, for a like-with-like count of the units withheld.

    .venv/bin/python bench/bench_secrecy_peers.py                       # small, medium
    .venv/bin/python bench/bench_secrecy_peers.py --cases large --peers ours
    .venv/bin/python bench/bench_secrecy_peers.py --cases small --peers tauargus,acro,ours

Figures are merged into bench/out/secrecy_peers.json (key: case/tool); ``--show`` prints them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_tables import (  # noqa: E402
    CATEGORIES,
    THRESHOLD,
    TOTAL,
    PeerCase,
    engine_table,
    full_table,
    generate,
    hierarchy_levels,
    withheld_on_engine,
)

from workbench.secrecy import CellTable, SecrecyError, audit, protect  # noqa: E402
from workbench.secrecy.audit import EXACT, GROUP, INTERVAL  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PROTECTION = 3
# τ-Argus FREQ(11,10) asks for a protection interval of about 10 % of the threshold (~1 unit):
# "ours-1" runs our engine at that requirement, so that units withheld compare like with like.
PEER_PROTECTION = 1
TOOLS = ("tauargus", "acro", "ours", "ours-1")

TAU_METADATA = """<SEPARATOR> ";"
region
   <RECODEABLE>
   <TOTCODE> "Total"
   <HIERCODELIST> "region.hrc"
   <HIERLEADSTRING> "@"
   <HIERARCHICAL>
category
   <RECODEABLE>
   <TOTCODE> "Total"
count
   <NUMERIC>
freq
   <FREQUENCY>
"""

TAU_BATCH = """<OPENTABLEDATA> "table.tab"
<OPENMETADATA> "table.rda"
<SPECIFYTABLE> "region""category"|"count"||
<SAFETYRULE> FREQ({threshold},10)
<READTABLE> 0
<SUPPRESS> MOD(1,5,1,0,0)
<WRITETABLE> (1,2,AS+,"out.csv")
"""


def tau_status(code: int) -> str:
    """τ-Argus cell status code (engine.py CS_*) -> primary / secondary / published."""
    if 3 <= code <= 9:
        return "primary"
    if code in (11, 12):
        return "secondary"
    return "published"


def write_tauargus_inputs(case: PeerCase, workdir: Path, threshold: int = THRESHOLD) -> None:
    """Tabular input with every subtotal (leaf-only input fails with error 1025), .hrc, batch."""
    full = full_table(case)
    full.assign(freq=full["count"])[["region", "category", "count", "freq"]].to_csv(
        workdir / "table.tab", sep=";", header=False, index=False
    )
    levels = hierarchy_levels(case)
    (workdir / "region.hrc").write_text(
        "".join("@" * (d - 1) + r + "\n" for r, d in zip(levels["region"], levels["depth"], strict=True))
    )
    (workdir / "table.rda").write_text(TAU_METADATA)
    (workdir / "batch.arb").write_text(TAU_BATCH.format(threshold=threshold))


def run_tauargus(case: PeerCase, threshold: int = THRESHOLD) -> pd.DataFrame:
    """pytauargus MOD on the full table; (region, category, count, status) per cell.

    The engine writes fixed-name files in the working directory: each run gets its own
    temporary directory, and the caller's directory is restored.
    """
    from pytauargus.engine import run_batch

    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="peers_tau_") as tmp:
        work = Path(tmp)
        write_tauargus_inputs(case, work, threshold)
        os.chdir(work)
        try:
            run_batch(str(work / "batch.arb"))
        finally:
            os.chdir(here)
        out = pd.read_csv(work / "out.csv", dtype={"region": str, "category": str})
    out.columns = ["region", "category", "count", "code"]
    out["count"] = pd.to_numeric(out["count"].replace("-", "0")).astype(np.int64)  # "-": empty
    out["region"] = out["region"].str.strip()
    out["category"] = out["category"].str.strip()
    out["status"] = out["code"].map(tau_status)
    return out[["region", "category", "count", "status"]]


def households(case: PeerCase) -> pd.DataFrame:
    """One record per household (ACRO works on microdata)."""
    inner = case.inner.merge(case.hierarchy, on="iris")
    rec = inner.loc[inner.index.repeat(inner["count"]), ["iris", "commune", "epci", "category"]]
    return rec.reset_index(drop=True)


def run_acro(case: PeerCase, threshold: int = THRESHOLD) -> pd.DataFrame:
    """ACRO crosstabs IRIS, commune and EPCI x category with suppression.

    ACRO prints a suppressed cell as 0 (zeros published): a cell is withheld where ACRO's
    figure differs from the true count. ACRO publishes no row total nor grand total here
    (``margins=False``: with margins it recomputes totals without the suppressed records).
    """
    import acro

    recs = households(case)
    frames = []
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        # ACRO prints every table it checks: keep pandas from fitting them to a terminal.
        quiet = pd.option_context("display.max_rows", 20, "display.max_columns", 20)
        with quiet, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            session = acro.ACRO(suppress=True)
            session.sdc_checks.risk_appetite["safe_threshold"] = threshold
            session.sdc_checks.risk_appetite["zeros_are_disclosive"] = False
            for level in ("iris", "commune", "epci"):
                tab = session.crosstab(recs[level], recs["category"])
                tab = tab.reindex(columns=CATEGORIES, fill_value=0)
                long = tab.rename_axis(index="region", columns="category").stack()
                frames.append(long.rename("shown").reset_index())
    finally:
        logging.disable(previous)
    shown = pd.concat(frames, ignore_index=True)
    truth = full_table(case)
    truth = truth[truth["category"] != TOTAL]
    out = truth.merge(shown, on=["region", "category"], how="inner")
    out["status"] = np.where(out["shown"] != out["count"], "primary", "published")
    return out[["region", "category", "count", "status"]]


def run_ours(table: CellTable, protection: int = PROTECTION) -> pd.DataFrame:
    """Our engine on the merged table; (region, category, count, status) per cell."""
    result = protect(table, protection=protection, threshold=THRESHOLD)
    status = np.where(result.status == "published", "published", "secondary").astype(object)
    status[(table.primary != "")] = "primary"
    out = table.labels[["region", "category"]].copy()
    out["count"] = table.values
    out["status"] = status
    out.attrs["protection"] = result
    return out


def audit_figures(table: CellTable, withheld: np.ndarray) -> dict:
    """What our audit recovers from a tool's withheld cells (at ±3, and at the peer's ±1)."""
    rep = audit(table, withheld, protection=PROTECTION, threshold=THRESHOLD)
    kinds = rep.disclosures["kind"].value_counts()
    at_peer = audit(table, withheld, protection=PEER_PROTECTION, threshold=THRESHOLD)
    return {
        "audit_disclosures_p1": int(len(at_peer.disclosures)),
        "audit_exact": int(kinds.get(EXACT, 0)),
        "audit_interval": int(kinds.get(INTERVAL, 0)),
        "audit_group": int(kinds.get(GROUP, 0)),
        "audit_blocks": rep.blocks,
        "audit_largest_block": rep.largest_block,
        "audit_seconds": round(rep.seconds, 2),
    }


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(tool: str, case_name: str, peer_audit: bool) -> dict:
    """Run one tool on one case in this process and return its figures."""
    case = generate(case_name)
    table = engine_table(case)
    before = rss_mb()
    t0 = time.perf_counter()
    if tool == "tauargus":
        out = run_tauargus(case)
    elif tool == "acro":
        out = run_acro(case)
    else:
        try:
            out = run_ours(table, PEER_PROTECTION if tool == "ours-1" else PROTECTION)
        except SecrecyError as exc:  # the engine refuses: report it with its time
            return {
                "case": case_name, "tool": tool, "cells": table.n,
                "wall_s": round(time.perf_counter() - t0, 3),
                "primary": int((table.primary != "").sum()), "error": str(exc),
            }
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    prim, sec = out["status"] == "primary", out["status"] == "secondary"
    fig = {
        "case": case_name,
        "tool": tool,
        "cells": int(len(out)),
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(peak, 1),
        "rss_before_mb": round(before, 1),
        "primary": int(prim.sum()),
        "secondary": int(sec.sum()),
        "secondary_units": int(out.loc[sec, "count"].sum()),
    }
    if tool.startswith("ours"):
        fig["secondary_merged"] = fig["secondary"]
        fig["secondary_units_merged"] = fig["secondary_units"]
        rep = out.attrs["protection"].audit
        kinds = rep.disclosures["kind"].value_counts()
        fig.update(
            audit_exact=int(kinds.get(EXACT, 0)),
            audit_interval=int(kinds.get(INTERVAL, 0)),
            audit_group=int(kinds.get(GROUP, 0)),
            audit_blocks=rep.blocks,
            audit_largest_block=rep.largest_block,
            audit_seconds=round(rep.seconds, 2),
        )
    else:
        if tool == "acro":
            # ACRO publishes no totals: those cells are unknown to the attacker, not secrets.
            labels = table.labels
            table.virtual = ((labels["category"] == TOTAL) | (labels["region"] == TOTAL)).to_numpy()
        # The peer's pattern on our merged cells: same cells as ours, fair counts.
        withheld = withheld_on_engine(table, out[out["status"] != "published"])
        sec_merged = withheld & (table.primary == "")
        fig["secondary_merged"] = int(sec_merged.sum())
        fig["secondary_units_merged"] = int(table.values[sec_merged].sum())
        shown = (table.primary != "") & ~withheld & ~table.virtual
        fig["primary_published"] = int(shown.sum())
    if not tool.startswith("ours") and peer_audit:
        fig.update(audit_figures(table, withheld))
    return fig


def run_child(tool: str, case_name: str, peer_audit: bool, timeout: float) -> dict:
    """The worker in a fresh interpreter (clean peak RSS, no shared state)."""
    cmd = [sys.executable, __file__, "--worker", tool, case_name]
    if not peer_audit:
        cmd.append("--no-peer-audit")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"case": case_name, "tool": tool, "error": f"délai dépassé ({timeout:.0f} s)"}
    if proc.returncode != 0:
        return {"case": case_name, "tool": tool, "error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def show(results: list[dict]) -> None:
    """Print the figures as a rich table, with the ratio ours / τ-Argus."""
    from rich.console import Console
    from rich.table import Table

    tau = {r["case"]: r for r in results if r["tool"] == "tauargus" and "error" not in r}
    t = Table(title="Secret secondaire : notre moteur face aux pairs (seuil 11, zéros publiés)")
    heads = [
        "cas / case", "outil / tool", "cellules", "durée (s)", "mémoire max (Mo)", "primaires",
        "secondaires", "unités masquées", "second. fusionnées", "unités fusionnées", "exactes", "intervalles", "sous le seuil",
        "recalculées à ±1", "plus grand bloc", "durée / τ-Argus",
    ]
    for h in heads:
        t.add_column(h, justify="right" if h not in heads[:2] else "left")
    for r in results:
        if "error" in r:
            wall = f"{r['wall_s']:.3f}" if "wall_s" in r else ""
            t.add_row(r["case"], r["tool"], str(r.get("cells", "")), wall, "", str(r.get("primary", "")),
                      f"échec : {r['error'][:90]}", *[""] * 9)
            continue
        ratio = ""
        if r["case"] in tau and tau[r["case"]]["wall_s"] > 0:
            ratio = f"{r['wall_s'] / tau[r['case']]['wall_s']:.3f}"

        def g(k: str, r: dict = r) -> str:
            return f"{r[k]:,}".replace(",", " ") if k in r else "—"

        t.add_row(
            r["case"], r["tool"], g("cells"), f"{r['wall_s']:.3f}", f"{r['peak_rss_mb']:.0f}",
            g("primary"), g("secondary"), g("secondary_units"), g("secondary_merged"),
            g("secondary_units_merged"), g("audit_exact"),
            g("audit_interval"), g("audit_group"), g("audit_disclosures_p1"),
            g("audit_largest_block"), ratio,
        )
    Console(width=220).print(t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", default="small,medium")
    p.add_argument("--peers", default="tauargus,acro,ours,ours-1")
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--no-peer-audit", action="store_true", help="skip our audit of peers' output")
    p.add_argument("--show", action="store_true", help="print the saved figures, run nothing")
    p.add_argument("--worker", nargs=2, metavar=("TOOL", "CASE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], not args.no_peer_audit)))
        return
    path = OUT / "secrecy_peers.json"
    if args.show:
        saved = json.loads(path.read_text()) if path.exists() else {}
        order = {c: i for i, c in enumerate(["small", "medium", "large"])}
        show(sorted(saved.values(), key=lambda r: (order.get(r["case"], 9), TOOLS.index(r["tool"]))))
        return
    results = []
    for case_name in args.cases.split(","):
        for tool in args.peers.split(","):
            if tool not in TOOLS:
                raise SystemExit(f"outil inconnu : {tool} (choisir parmi {', '.join(TOOLS)})")
            if tool == "acro" and case_name != "small":
                print(f"acro ignoré sur {case_name} : il ne termine pas (voir peers.md)")
                continue
            print(f"… {case_name} / {tool}", flush=True)
            r = run_child(tool, case_name, not args.no_peer_audit, args.timeout)
            print(json.dumps(r), flush=True)
            results.append(r)
    OUT.mkdir(parents=True, exist_ok=True)
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved.update({f"{r['case']}/{r['tool']}": r for r in results})
    path.write_text(json.dumps(saved, indent=2, ensure_ascii=False))
    show(results)
    print(f"chiffres enregistrés dans {path}")


if __name__ == "__main__":
    main()
