"""Benchmark of `workbench demo-data` (issue 2): wall and CPU time, peak memory, magnitudes.

Runs the real command in a child process into a temporary home and prints what it wrote.

    .venv/bin/python bench/bench_demo_data.py                       # MEL, 3 vintages
    .venv/bin/python bench/bench_demo_data.py --national --vintages 2024   # ≈ 5.4 M dwellings
    .venv/bin/python bench/bench_demo_data.py --national --scale 0.1       # 10 départements
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--national", action="store_true")
    parser.add_argument("--vintages", default="2022,2023,2024")
    parser.add_argument("--scale", default="1.0")
    parser.add_argument("--keep", type=Path, help="write here instead of a temporary home")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp)
        cmd = [sys.executable, "-m", "workbench.cli", "demo-data", "--home", str(home),
               "--vintages", args.vintages, "--echelle", args.scale]
        if args.national:
            cmd.append("--national")
        started = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        sizes = sum(p.stat().st_size for p in (home / "sources").rglob("*") if p.is_file())
        print(out.stdout)
        print(f"wall {wall:.1f} s · CPU {usage.ru_utime + usage.ru_stime:.1f} s · "
              f"peak RSS {usage.ru_maxrss / 1024:.0f} MB · files {sizes / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
