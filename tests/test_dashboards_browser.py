"""The Voilà portal in a real headless Chromium, served on 127.0.0.1 over the demo base."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import (
    assert_no_error_output,
    chart_titles,
    chromium,
    local_page,
    map_signature,
    wait_chart_title,
    wait_map_shapes,
)
from playwright.sync_api import Browser

from workbench.config import source_mention
from workbench.published import PublishedBase
from workbench.serve import VoilaServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def voila(demo_home, tmp_path_factory) -> Iterator[VoilaServer]:  # noqa: ANN001
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    server = VoilaServer(workbench_home=demo_home, log_path=log).start()
    try:
        server.wait_ready(timeout=90)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser, voila):  # noqa: ANN001
    page, log = local_page(browser)
    page.goto(voila.url, timeout=90_000)
    page.wait_for_selector(".wb-portal", timeout=90_000)
    yield page
    page.context.close()


def _communes(demo_home):  # noqa: ANN001
    base = PublishedBase(demo_home / "published")
    return base.areas(base.latest(), scale="commune").sort_values("name")


@pytest.mark.timeout(240)
def test_portal_renders_map_chart_and_source_mention(page, demo_home) -> None:  # noqa: ANN001
    first = _communes(demo_home).iloc[0]
    wait_map_shapes(page)
    wait_chart_title(page, first["name"])
    assert page.locator(".wb-territory select").input_value() == first["name"]
    assert source_mention() in page.locator(".wb-mention").inner_text()
    # no code cell is shown to a partner
    assert "import" not in page.locator("body").inner_text()
    assert page.locator(".jp-InputArea-editor, .cm-editor").count() == 0
    assert_no_error_output(page)


@pytest.mark.timeout(240)
def test_changing_territory_changes_map_and_chart(page, demo_home) -> None:  # noqa: ANN001
    communes = _communes(demo_home)
    first, other = communes.iloc[0], communes.iloc[-1]
    wait_map_shapes(page)
    wait_chart_title(page, first["name"])
    before = map_signature(page)
    page.locator(".wb-territory select").select_option(label=other["name"])
    wait_chart_title(page, other["name"])
    page.wait_for_function(
        "([sel, old]) => [...document.querySelectorAll(sel)].map(p => p.getAttribute('d'))"
        ".join('|') !== old",
        arg=[".wb-map .leaflet-overlay-pane path.leaflet-interactive", before], timeout=30_000,
    )
    assert map_signature(page) != before
    assert not any(first["name"] in t for t in chart_titles(page))
    assert_no_error_output(page)
