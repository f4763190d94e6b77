"""Benchmark the annual report batch: every commune diagnostic of a published vintage.

Target (issue 6): all 95 commune diagnostics of the demo in <= 3 min on a 2-core machine.
Prints the wall time and the per-report split between kernel start-up, execution and rendering,
with and without pre-started kernels.

    WORKBENCH_HOME=/path/to/demo/home python bench/bench_reports.py [--workers 2] [--compare]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from workbench.config import paths
from workbench.reports import default_workers, plan_batch, run_batch


def _latest_vintage() -> int:
    vintages = sorted(int(p.name) for p in paths().published.glob("[0-9]*") if p.is_dir())
    if not vintages:
        raise SystemExit(f"Aucune base publiée sous {paths().published}.")
    return vintages[-1]


def _summary(label: str, batch) -> None:
    ran = [r for r in batch.results if r.status == "ok"]
    print(f"\n== {label}: {len(batch.results)} reports, {len(ran)} ok, "
          f"{len(batch.failed)} failed, wall {batch.seconds:.1f} s "
          f"({batch.seconds / max(1, len(batch.results)):.2f} s/report)")
    for name in ("kernel_start", "execution", "render", "total", "cpu"):
        values = [getattr(r, name) for r in ran]
        if values:
            print(f"   {name:<13} mean {statistics.mean(values):6.2f} s   "
                  f"median {statistics.median(values):6.2f} s   max {max(values):6.2f} s   "
                  f"sum {sum(values):7.1f} s")
    cpu = sum(r.cpu for r in ran)
    print(f"   CPU {cpu:.1f} s in all = {cpu / os.cpu_count():.1f} s of wall time on "
          f"{os.cpu_count()} otherwise idle cores")
    for r in batch.failed[:5]:
        print(f"   FAILED {r.job.territory}: {r.error.splitlines()[0] if r.error else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vintage", type=int, default=None)
    parser.add_argument("--kind", default="diagnostic")
    parser.add_argument("--scale", default="commune")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--limit", type=int, default=None, help="only the first N territories")
    parser.add_argument("--notebook", type=Path, default=None)
    parser.add_argument("--format", default="html")
    parser.add_argument("--compare", action="store_true",
                        help="also run without pre-started kernels")
    args = parser.parse_args()

    vintage = args.vintage or _latest_vintage()
    jobs = plan_batch(vintage, args.kind, args.scale, fmt=args.format, notebook=args.notebook)
    if args.limit:
        jobs = jobs[: args.limit]
    print(f"load average before: {os.getloadavg()}")
    print(f"{len(jobs)} {args.kind} reports at scale {args.scale}, vintage {vintage}, "
          f"{args.workers} workers, format {args.format}")
    modes = [("pre-started and warmed kernels", True, True)]
    if args.compare:
        modes += [("pre-started kernels", True, False), ("cold kernels", False, False)]
    for label, prestart, warm in modes:
        with tempfile.TemporaryDirectory(prefix="bench-reports-") as out:
            batch = run_batch(jobs, workers=args.workers, force=True, out_root=Path(out),
                              prestart=prestart, warm=warm)
            _summary(label, batch)
            print(f"   load average after: {os.getloadavg()}")
    print("\nsecond run (incremental, nothing changed):")
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as out:
        again = run_batch(jobs, workers=args.workers, out_root=Path(out))
        print(f"   {len(again.skipped)} skipped, {len(again.executed)} executed, "
              f"wall {again.seconds:.1f} s")


if __name__ == "__main__":
    main()
