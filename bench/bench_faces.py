"""Benchmark the faces: notebook execution, panel construction, sheet and export times.

Prints figures (never asserts): papermill time per notebook (Python API, one kernel each),
time to build the Explorer / FichePanel / AttributionsPanel widgets, to assemble one
résidence sheet and to write one Excel export.

    WORKBENCH_HOME=/path/to/demo/home python bench/bench_faces.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import papermill as pm

from workbench.config import NOTEBOOKS_DIR
from workbench.published import PublishedBase


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _line(label: str, times: list[float]) -> None:
    print(f"{label:<48} médiane {statistics.median(times):6.2f} s  "
          f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_BASEMAP", "none")
    base = PublishedBase()
    v = base.latest()
    t = time.perf_counter()
    base.indicators(v)
    base.areas(v)
    print(f"{'lecture de la base publiée (1re fois)':<48} {time.perf_counter() - t:6.2f} s")
    commune = str(base.areas(v, "residence")["commune"].value_counts().index[0])
    residence = str(base.areas(v, "residence")["area_id"].iloc[0])

    from workbench.export import ExportView, export_workbook
    from workbench.fiche import residence_sheet
    from workbench.panels import AttributionsPanel, Explorer, FichePanel
    from workbench.tables import indicator_long

    _line("fiche résidence (assemblage)", _timed(lambda: residence_sheet(base, v, residence),
                                                 args.repeat))
    with tempfile.TemporaryDirectory() as tmp:
        views = [ExportView("Ressources", indicator_long(base, v, "revenus", "iris"))]
        _line("export Excel (revenus × IRIS)",
              _timed(lambda: export_workbook(views, Path(tmp) / "x.xlsx"), args.repeat))
        _line("panneau Explorer (construction)", _timed(lambda: Explorer(base), args.repeat))
        _line("panneau FichePanel (construction)",
              _timed(lambda: FichePanel(base, v, residence), args.repeat))
        _line("panneau AttributionsPanel (construction)",
              _timed(lambda: AttributionsPanel(base), args.repeat))
        runs = {
            "diagnostic": {"vintage": v, "territory": commune, "scale": "commune"},
            "attributions_ciet": {"vintage": v, "scale": "epci"},
            "fiche_residence": {"vintage": v, "residence_id": residence},
        }
        for name, params in runs.items():
            def run(name=name, params=params):
                pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"),
                                    str(Path(tmp) / f"{name}.ipynb"), parameters=params,
                                    kernel_name="python3", cwd=str(NOTEBOOKS_DIR),
                                    progress_bar=False)
            _line(f"papermill {name}", _timed(run, args.repeat))


if __name__ == "__main__":
    main()
