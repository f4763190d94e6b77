"""Browser bench of the Voilà portal: first render (cold and warm cache), territory change,
the largest commune's résidences on the map. Prints the figures and saves screenshots.

Targets (issue 5): first complete view <= 4 s with the browser cache warm (cold reported too),
territory change -> map and charts updated <= 300 ms.

"Territory change" = from the commune dropdown's change event to the first frame where the
charts show the new commune (evolution title, comparison bar) and, separately, to the first
frame where the map draws differently (its résidences and the selected outline); both stamped
in the page's clock, so the map figure does not include waiting for the charts.

Usage::

    WORKBENCH_HOME=... python bench/bench_dashboards.py [--runs 3] [--no-preheat] [--out bench/out]

"First complete render" = from navigation start to the map drawn (canvas or SVG) and both
charts of the Diagnostic tab titled. "Cold" = a fresh browser context (empty HTTP cache);
"warm" = the same context loading the page again (a new kernel each time, as a partner gets).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import (  # noqa: E402
    assert_no_error_output,
    change_territory,
    chromium,
    local_page,
    wait_chart_title,
    wait_map_drawn,
)

from workbench.config import home  # noqa: E402
from workbench.published import PublishedBase  # noqa: E402
from workbench.serve import VoilaServer  # noqa: E402

TIMEOUT = 180_000


def _rendered(page) -> float:  # noqa: ANN001
    start = time.perf_counter()
    wait_map_drawn(page, timeout=TIMEOUT)
    wait_chart_title(page, "Évolution", scope=".wb-chart-evolution", timeout=TIMEOUT)
    page.wait_for_selector(".wb-chart-comparison .gtitle", timeout=TIMEOUT)
    return time.perf_counter() - start


def first_render(page, url: str) -> float:  # noqa: ANN001
    start = time.perf_counter()
    page.goto(url, timeout=TIMEOUT)
    _rendered(page)
    assert_no_error_output(page)
    return time.perf_counter() - start


def choose_commune(page, code: str, name: str) -> tuple[float, float]:  # noqa: ANN001
    """Seconds from the change of commune until the charts, and until the map, show it.

    Both are stamped in the page, on the first animation frame showing the result, from the
    dropdown's change event (see ``browser.change_territory``).
    """
    marks = change_territory(page, ".wb-territory-commune", f"({code})",
                             f"Évolution — {name}", name, timeout=TIMEOUT)
    return marks["charts"], marks["map"]


def _fmt(values: list[float]) -> str:
    if not values:
        return "—"
    return (f"médiane {statistics.median(values):.2f} s (min {min(values):.2f}, "
            f"max {max(values):.2f}, n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-preheat", dest="preheat", action="store_false",
                        help="no pre-started kernel (dashboards/voila.json pre-heats one)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    base = PublishedBase()
    vintage = base.latest()
    residences = base.areas(vintage, scale="residence")
    counts = residences["commune"].value_counts()
    communes = base.areas(vintage, scale="commune").set_index("area_id")["name"]
    largest = str(counts.index[0])
    others = [str(c) for c in counts.index[1:1 + args.runs]]

    extra = [] if args.preheat else ["--preheat_kernel=False"]
    server = VoilaServer(extra_args=extra, log_path=args.out / "voila.log",
                         extra_env={"WORKBENCH_BASEMAP": "none"}).start()
    ready = server.wait_ready(timeout=120)
    print(f"base : {home()} millésime {vintage} · {len(residences)} résidences · "
          f"charge {os.getloadavg()[0]:.1f} · préchauffage {'oui' if args.preheat else 'non'}")
    print(f"Voilà prêt en {ready:.2f} s")
    cold, warm, change_charts, change_map = [], [], [], []
    try:
        with chromium() as browser:
            for run in range(args.runs):
                if args.preheat:
                    time.sleep(15)  # let the pool start the next kernel, as between visitors
                page, _ = local_page(browser)
                cold.append(first_render(page, server.url))
                if run == 0:
                    page.wait_for_timeout(600)
                    page.screenshot(path=args.out / "portail_diagnostic.png", full_page=True)
                if args.preheat:
                    time.sleep(15)
                warm.append(first_render(page, server.url))
                code = others[run % len(others)]
                c, m = choose_commune(page, code, str(communes[code]))
                change_charts.append(c)
                change_map.append(m)
                if run == 0:
                    c, m = choose_commune(page, largest, str(communes[largest]))
                    page.wait_for_timeout(600)
                    page.locator(".wb-map").first.screenshot(
                        path=args.out / "carte_plus_grande_commune.png")
                    print(f"plus grande commune ({communes[largest]}, {counts.iloc[0]} "
                          f"résidences) : graphiques {c:.2f} s, carte {m:.2f} s")
                    for i, name in ((1, "attributions"), (2, "fiche")):
                        page.locator(".wb-tabs .lm-TabBar-tab").nth(i).click()
                        page.wait_for_selector(f".wb-tab-{name} .wb-{name}", timeout=TIMEOUT)
                        page.wait_for_timeout(1500)
                        page.screenshot(path=args.out / f"portail_{name}.png", full_page=True)
                page.context.close()
    finally:
        server.stop()
    print(f"premier affichage complet, cache froid : {_fmt(cold)}")
    print(f"premier affichage complet, cache chaud : {_fmt(warm)}   (objectif <= 4 s)")
    print(f"changement de territoire -> graphiques : {_fmt(change_charts)}")
    print(f"changement de territoire -> carte       : {_fmt(change_map)}   (objectif <= 0,3 s)")
    print(f"captures : {args.out}")


if __name__ == "__main__":
    main()
