"""Real-browser helpers shared by the dashboard tests and the browser bench.

Debian's Chromium driven by Playwright, headless, nothing downloaded; every request that does
not go to 127.0.0.1 is refused so that nothing depends on the network (the Voilà template asks
a CDN for fonts). Waits use the stable ``wb-…`` CSS classes of the panels.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1")
ERRORS = ".jupyter-widgets-error-widget, .jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"


@dataclass
class PageLog:
    """What the page tried to reach outside 127.0.0.1 and what it logged as errors."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium for the duration of the block."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def local_page(browser: Browser, width: int = 1440, height: int = 1000) -> tuple[Page, PageLog]:
    """A fresh context (cold cache) whose page may only talk to 127.0.0.1."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    return page, guard(page)


def guard(page: Page) -> PageLog:
    log = PageLog()

    def route(r):  # noqa: ANN001 - playwright Route
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    return log


def assert_no_error_output(page: Page) -> None:
    """A notebook error does not fail the page: look for error widgets and stderr outputs."""
    errors = page.locator(ERRORS)
    if errors.count():
        raise AssertionError("erreur dans le tableau de bord :\n" + errors.first.inner_text())


# Leaflet draws vector layers as SVG paths, or in one canvas with ``prefer_canvas=True``.
_DRAWN_JS = """sel => {
  const root = document.querySelector(sel);
  if (!root) return 0;
  let n = root.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length;
  for (const c of root.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < px.length; i += 4 * 97) { if (px[i]) { n += 1; break; } }
  }
  return n;
}"""
# A cheap fingerprint of what the map draws: SVG path data and a sample of the canvas pixels
# (PNG-encoding the canvas on every animation frame, as toDataURL does, starves a loaded page).
_SIGNATURE_JS = """sel => {
  const root = document.querySelector(sel);
  if (!root) return '';
  let h = 0;
  const mix = v => { h = (Math.imul(h, 31) + v) | 0; };
  for (const p of root.querySelectorAll('.leaflet-overlay-pane path')) {
    const d = p.getAttribute('d') || '';
    for (let i = 0; i < d.length; i++) mix(d.charCodeAt(i));
  }
  for (const c of root.querySelectorAll('.leaflet-overlay-pane canvas')) {
    if (!c.width || !c.height) continue;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < px.length; i += 4 * 5) mix(px[i] + 3 * px[i + 1] + 7 * px[i + 2] + 11 * px[i + 3]);
  }
  return String(h);
}"""


def map_drawn(page: Page, scope: str = ".wb-map") -> int:
    """How many drawn vector layers the map shows (SVG paths, plus 1 per non-empty canvas)."""
    return int(page.evaluate(_DRAWN_JS, scope))


def wait_map_drawn(page: Page, scope: str = ".wb-map", timeout: float = 60_000) -> int:
    """Wait until the map of ``scope`` has drawn vector shapes; return :func:`map_drawn`."""
    page.wait_for_function(f"({_DRAWN_JS})({scope!r}) > 0", timeout=timeout)
    return map_drawn(page, scope)


def wait_map_settled(page: Page, scope: str = ".wb-map", every_ms: int = 200,
                     timeout: float = 30_000) -> None:
    """Wait until the map draws the same thing at two polls ``every_ms`` apart."""
    page.evaluate("() => { window.__wbLastSig = null; }")
    page.wait_for_function(
        f"""sel => {{ const s = ({_SIGNATURE_JS})(sel);
                     const same = window.__wbLastSig === s; window.__wbLastSig = s; return same; }}""",
        arg=scope, polling=every_ms, timeout=timeout)


# Installed before a territory change: stamps, in the page's own clock, the change event of the
# dropdown and the first frames where (a) the evolution chart carries the new title and the
# comparison chart a bar of the new area, (b) the map draws something else than before.
_WATCH_JS = """([root, select, title, name, sig]) => {
  const w = {t0: null, charts: null, map: null};
  window.__wbWatch = w;
  const scope = document.querySelector(root);
  const before = sig(root + ' .wb-map');
  scope.querySelector(select + ' select').addEventListener(
    'change', () => { if (w.t0 === null) w.t0 = performance.now(); }, {capture: true, once: true});
  const chartsDone = () => {
    const t = scope.querySelector('.wb-chart-evolution .gtitle');
    return t && (t.textContent || '').trim() === title
      && [...scope.querySelectorAll('.wb-chart-comparison .legendtext')]
        .some(e => (e.textContent || '').trim() === name);
  };
  const frame = () => {
    if (w.t0 !== null) {
      const now = performance.now();
      if (w.charts === null && chartsDone()) w.charts = now - w.t0;
      if (w.map === null && sig(root + ' .wb-map') !== before) w.map = now - w.t0;
    }
    if (w.charts === null || w.map === null) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""


def change_territory(page: Page, select: str, contains: str, title: str, name: str,
                     root: str = ".wb-explorer", timeout: float = 60_000) -> dict[str, float]:
    """Choose the option of ``select`` containing ``contains`` and wait for the real result.

    Returns seconds from the dropdown's change event to the first frame showing the charts of
    the new area (evolution titled ``title``, a comparison bar named ``name``) and to the
    first frame where the map draws differently. Both are measured from the same instant in
    the page, so neither waits for the other.
    """
    page.wait_for_function(
        "([sel, text]) => [...document.querySelectorAll(sel + ' select option')]"
        ".some(o => o.textContent.includes(text))",
        arg=[f"{root} {select}", contains], timeout=timeout,
    )
    loc = page.locator(f"{root} {select} select")
    label = next(o for o in loc.locator("option").all_text_contents() if contains in o)
    wait_map_settled(page, f"{root} .wb-map", timeout=timeout)  # the change alone moves it
    page.evaluate(f"args => ({_WATCH_JS})([...args, {_SIGNATURE_JS}])",
                  [root, select, title, name])
    loc.select_option(label=label)
    page.wait_for_function("() => window.__wbWatch.charts !== null"
                           " && window.__wbWatch.map !== null", timeout=timeout)
    marks = page.evaluate("() => window.__wbWatch")
    return {"charts": marks["charts"] / 1000, "map": marks["map"] / 1000}


def chart_titles(page: Page, scope: str = ".wb-chart") -> list[str]:
    """Titles of the plotly figures in ``scope`` (text_content: SVG has no inner_text)."""
    return [t.text_content() or "" for t in page.locator(f"{scope} .gtitle").all()]


def wait_chart_title(page: Page, text: str, scope: str = ".wb-chart",
                     timeout: float = 60_000, exact: bool = False) -> None:
    """Wait for a plotly title in ``scope`` containing (or, if ``exact``, equal to) ``text``."""
    page.wait_for_function(
        "([sel, text, exact]) => [...document.querySelectorAll(sel)]"
        ".some(e => exact ? (e.textContent || '').trim() === text"
        " : (e.textContent || '').includes(text))",
        arg=[f"{scope} .gtitle", text, exact], timeout=timeout,
    )


def timed(fn, *args, **kwargs) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start
