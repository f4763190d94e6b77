"""Benchmark of the annual build (issue 4): the demo's 3 vintages, and the national-size stock.

Prints the wall time of one `workbench build` of every vintage (their themes share the cores,
as in `make demo`), each vintage's steps (the time of each theme's secrecy, from its manifest),
and the peak memory (ru_maxrss of the child processes). Targets: demo (3 vintages) <= 60 s;
national (one vintage) as measured.

    .venv/bin/python bench/bench_build.py                 # demo: generate, load, build 3 vintages
    .venv/bin/python bench/bench_build.py --national      # + national-size stock (long)
    .venv/bin/python bench/bench_build.py --national --sans-demo --echelle-nationale 0.1
                                                          # national grid, 10 départements only
    .venv/bin/python bench/bench_build.py --echelle 0.05  # the reduced demo of the tests
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import merge_figures

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def run(step: list[str], home: Path) -> tuple[float, float, str]:
    """Run one workbench command in a child process; wall seconds and its peak RSS in GB."""
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_USER": "bench"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", *step], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"échec de `workbench {' '.join(step)}`")
    # ru_maxrss of children is the max over all children so far: report it when it grew.
    return wall, max(peak, before) / 1024 / 1024, proc.stdout


def bench(label: str, home: Path, generate: list[str], vintages: list[int]) -> dict:
    figures: dict = {"case": label}
    print(f"\n== {label} ==")
    for name, step in (("génération", generate), ("chargement", ["load", "--all"])):
        wall, peak, _ = run(step, home)
        figures[name] = {"s": round(wall, 1), "peak_gb": round(peak, 2)}
        print(f"{name:<12} {wall:8.1f} s   pic mémoire {peak:5.2f} Go")
    # One `build` for every vintage, as `make demo` runs it: their themes share the cores.
    wall, peak, _ = run(["build", *[a for v in vintages for a in ("--vintage", str(v))]], home)
    for v in vintages:
        manifest = json.loads((home / "published" / str(v) / "manifest.json").read_text())
        figures[f"build_{v}"] = {
            "steps": manifest.get("timings_seconds"),
            "audit": manifest.get("audit"),
            "counts_by_status": manifest.get("counts_by_status"),
        }
        print(f"millésime {v}   étapes {manifest.get('timings_seconds')}")
    figures["build_total_s"] = round(wall, 1)
    figures["build_peak_gb"] = round(peak, 2)
    print(f"construction totale : {wall:.1f} s pour {len(vintages)} millésime(s), pic mémoire {peak:5.2f} Go")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--national", action="store_true", help="mesurer aussi la taille nationale")
    parser.add_argument("--echelle", type=float, default=1.0, help="démo réduite (fraction des logements)")
    parser.add_argument("--echelle-nationale", type=float, default=1.0,
                        help="fraction des départements de la taille nationale")
    parser.add_argument("--sans-demo", action="store_true", help="ne pas mesurer la démo MEL")
    parser.add_argument("--keep", type=Path, default=None, help="dossier de travail à conserver")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        if not args.sans_demo:
            label = "démo MEL (3 millésimes)" + (f", échelle {args.echelle:g}" if args.echelle < 1 else "")
            generate = ["demo-data", "--echelle", str(args.echelle)]
            results.append(bench(label, base / "demo", generate, [2022, 2023, 2024]))
        if args.national:
            share = args.echelle_nationale
            label = "taille nationale (1 millésime)" + (f", échelle {share:g}" if share < 1 else "")
            generate = ["demo-data", "--national", "--vintages", "2024", "--echelle", str(share)]
            results.append(bench(label, base / "national", generate, [2024]))
    out = OUT / "bench_build.json"  # merged by case: the full demo and the reduced one side by side
    merge_figures(out, results, "case")
    print(f"\nChiffres écrits dans {out}")


if __name__ == "__main__":
    main()
