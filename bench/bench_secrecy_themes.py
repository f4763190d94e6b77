"""The secrecy engine on the build's own tables, theme by theme (issues 3 and 4).

Computes the cells of one vintage from a loaded microdata store, exactly as ``workbench
build`` does, and protects each theme in this process (no parallel themes), printing the wall
time, the peak memory, the cells withheld and the audit's figures. At full size this is the
part of the build that matters; ``-v`` also prints the suppression's rounds as they go.
Figures are merged by theme into bench/out/secrecy_themes_<vintage>.json.

    WORKBENCH_HOME=<store chargé> .venv/bin/python bench/bench_secrecy_themes.py --vintage 2022
    WORKBENCH_HOME=<...> .venv/bin/python bench/bench_secrecy_themes.py --vintage 2022 --themes stock -v
"""

from __future__ import annotations

import argparse
import logging
import resource
import time
from pathlib import Path

from figures import merge_figures

from workbench.build import atom_upper, compute_theme_cells
from workbench.dictionary import dictionary
from workbench.secrecy.rules import Rules
from workbench.secrecy_adapter import protect_theme, theme_table
from workbench.store import MicrodataStore

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vintage", type=int, required=True)
    parser.add_argument("--themes", default="stock,occupation,attributions")
    parser.add_argument("-v", "--verbose", action="store_true", help="les tours du secret secondaire")
    args = parser.parse_args()
    if args.verbose:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
        logging.getLogger("workbench.secrecy.secondary").setLevel(logging.DEBUG)
    d = dictionary()
    t = time.perf_counter()
    themes, ctx = compute_theme_cells(MicrodataStore(), args.vintage, d)
    print(f"indicateurs {args.vintage} : {time.perf_counter() - t:.1f} s")
    rules = Rules.from_dictionary(d)
    figures = []
    for theme in args.themes.split(","):
        counts, areas = themes[theme]
        t = time.perf_counter()
        result = protect_theme(*theme_table(counts, areas, theme, d, rules, atom_upper(theme, ctx)), rules)
        wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        row = {"theme": theme, "vintage": args.vintage, "cells": len(counts.cells), "s": round(wall, 1),
               "peak_gb": round(peak, 2), **result.audit_summary}
        figures.append(row)
        print(f"{theme:<13} {row['cells']:>9,} cellules  {wall:7.1f} s  pic {peak:5.2f} Go  "
              f"primaires {row['primary_cells']:,}  secondaires {row['secondary_cells']:,} "
              f"({row['secondary_units']:,} unités)  audit ok={row['ok']} bloc max {row['largest_block']:,}",
              flush=True)
    out = OUT / f"secrecy_themes_{args.vintage}.json"
    merge_figures(out, figures, "theme")
    print(f"chiffres écrits dans {out}")


if __name__ == "__main__":
    main()
