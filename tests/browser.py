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
_SIGNATURE_JS = """sel => {
  const root = document.querySelector(sel);
  if (!root) return '';
  const paths = [...root.querySelectorAll('.leaflet-overlay-pane path')]
    .map(p => p.getAttribute('d')).join('|');
  const canvases = [...root.querySelectorAll('.leaflet-overlay-pane canvas')]
    .map(c => c.toDataURL()).join('|');
  return paths + '#' + canvases;
}"""


def map_drawn(page: Page, scope: str = ".wb-map") -> int:
    """How many drawn vector layers the map shows (SVG paths, plus 1 per non-empty canvas)."""
    return int(page.evaluate(_DRAWN_JS, scope))


def wait_map_drawn(page: Page, scope: str = ".wb-map", timeout: float = 60_000) -> int:
    """Wait until the map of ``scope`` has drawn vector shapes; return :func:`map_drawn`."""
    page.wait_for_function(f"({_DRAWN_JS})({scope!r}) > 0", timeout=timeout)
    return map_drawn(page, scope)


def map_signature(page: Page, scope: str = ".wb-map") -> str:
    """What the map draws (SVG path data and canvas pixels), to tell whether it changed."""
    return page.evaluate(_SIGNATURE_JS, scope)


def wait_map_changed(page: Page, before: str, scope: str = ".wb-map",
                     timeout: float = 30_000) -> None:
    page.wait_for_function(f"({_SIGNATURE_JS})({scope!r}) !== {before!r}", timeout=timeout)


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
