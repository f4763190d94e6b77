"""The Voilà portal in a real headless Chromium, served on 127.0.0.1 over the demo base."""

from __future__ import annotations

import re
from collections.abc import Iterator

import openpyxl
import pytest
from browser import (
    assert_no_error_output,
    change_territory,
    chart_titles,
    chromium,
    local_page,
    wait_chart_title,
    wait_map_drawn,
)
from playwright.sync_api import Browser, Page

from workbench.config import source_mention
from workbench.dictionary import dictionary
from workbench.published import PublishedBase
from workbench.serve import VoilaServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def voila(demo_home, tmp_path_factory) -> Iterator[VoilaServer]:  # noqa: ANN001
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    server = VoilaServer(workbench_home=demo_home, log_path=log,
                         extra_env={"WORKBENCH_BASEMAP": "none"}).start()
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
def page(browser, voila) -> Iterator[Page]:  # noqa: ANN001
    page, _log = local_page(browser)
    page.goto(voila.url, timeout=90_000)
    page.wait_for_selector(".wb-explorer", timeout=120_000)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def base(demo_home) -> PublishedBase:  # noqa: ANN001
    return PublishedBase(demo_home / "published")


def _choose(page: Page, select: str, contains: str, timeout: float = 60_000) -> None:
    """Pick the option of a dropdown whose label contains ``contains`` (a code or a name).

    Options are filled by the kernel after an earlier choice: wait for them to arrive.
    """
    page.wait_for_function(
        "([sel, text]) => [...document.querySelectorAll(sel + ' select option')]"
        ".some(o => o.textContent.includes(text))",
        arg=[select, contains], timeout=timeout,
    )
    loc = page.locator(f"{select} select")
    labels = [o for o in loc.locator("option").all_text_contents() if contains in o]
    loc.select_option(label=labels[0])


def _largest_commune(base: PublishedBase) -> tuple[str, str]:
    vintage = base.latest()
    res = base.areas(vintage, scale="residence")
    code = res["commune"].value_counts().index[0]
    communes = base.areas(vintage, scale="commune").set_index("area_id")
    return str(code), str(communes.loc[code, "name"])


@pytest.mark.timeout(300)
def test_portal_renders_tabs_map_charts_and_source_mention(page: Page, base) -> None:  # noqa: ANN001
    wait_map_drawn(page, timeout=120_000)
    wait_chart_title(page, "Évolution", scope=".wb-chart-evolution", timeout=120_000)
    tabs = page.locator(".wb-tabs .lm-TabBar-tabLabel, .wb-tabs .p-TabBar-tabLabel")
    assert tabs.all_text_contents() == ["Diagnostic", "Attributions", "Fiche résidence"]
    epci = base.areas(base.latest(), scale="epci")["name"].iloc[0]
    assert any(epci in t for t in chart_titles(page))
    assert source_mention() in page.locator(".wb-portal-mention").inner_text()
    # a partner sees no code
    assert page.locator(".jp-InputArea-editor, .cm-editor").count() == 0
    assert "import " not in page.locator("body").inner_text()
    assert_no_error_output(page)


@pytest.mark.timeout(300)
def test_changing_territory_changes_map_and_charts(page: Page, base) -> None:  # noqa: ANN001
    code, name = _largest_commune(base)
    wait_map_drawn(page, timeout=120_000)
    wait_chart_title(page, "Évolution", scope=".wb-chart-evolution", timeout=120_000)
    before_charts = chart_titles(page)
    # waits on what the user sees (new titles, a bar of the commune, other map pixels), each
    # condition checked on every frame from the change on: no sleep, no fixed order
    change_territory(page, ".wb-territory-commune", f"({code})", f"Évolution — {name}", name,
                     timeout=120_000)
    assert chart_titles(page) != before_charts
    assert name in page.locator(".wb-territory-label").inner_text()
    assert_no_error_output(page)


def _withheld_residence(base: PublishedBase) -> tuple[str, str, str]:
    """A résidence whose occupation figures are all withheld: (id, commune, status)."""
    vintage = base.latest()
    occ = base.indicators(vintage, theme="occupation", scale="residence")
    status = occ.groupby("area_id")["status"].agg(lambda s: set(s))
    dark = status[status.map(lambda s: "published" not in s)]
    assert len(dark), "la démo devrait contenir une résidence entièrement sous secret"
    res = base.areas(vintage, scale="residence").set_index("area_id")
    area_id = sorted(dark.index)[0]
    menages = occ[(occ["area_id"] == area_id) & (occ["indicator"] == "menages")]["status"]
    return area_id, str(res.loc[area_id, "commune"]), str(menages.iloc[0])


@pytest.mark.timeout(300)
def test_withheld_residence_shows_reason_and_no_figure(page: Page, base) -> None:  # noqa: ANN001
    area_id, commune, status = _withheld_residence(base)
    page.locator(".wb-tabs .lm-TabBar-tab, .wb-tabs .p-TabBar-tab").nth(2).click()
    fiche = ".wb-tab-fiche .wb-fiche"
    page.wait_for_selector(fiche, timeout=120_000)
    _choose(page, f"{fiche} .wb-territory-commune", f"({commune})")
    _choose(page, f"{fiche} .wb-territory-residence", f"({area_id})")
    d = dictionary()
    reason = d.explanation(status, "occupation", "residence")
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.innerText || '').includes(text)",
        arg=[fiche, reason], timeout=60_000,
    )
    # the résidence column of the drivers table holds status labels, never a number
    labels = {d.status_label(s) for s in d.statuses if s != "published"}
    rows = page.locator(f"{fiche} table tbody tr").all()
    assert rows
    for row in rows:
        cells = row.locator("td").all_text_contents()
        assert cells[1] in labels, f"chiffre affiché pour une résidence sous secret : {cells}"
    assert_no_error_output(page)


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace(" ", "").replace("%", "").replace(",", "."))


@pytest.mark.timeout(300)
def test_export_downloads_workbook_matching_screen_with_mention(page: Page, base, tmp_path) -> None:  # noqa: ANN001
    code, name = _largest_commune(base)
    wait_map_drawn(page, timeout=120_000)
    _choose(page, ".wb-territory-commune", f"({code})")
    wait_chart_title(page, f"Évolution — {name}", scope=".wb-chart-evolution", exact=True)
    screen = {}
    table = page.locator(".wb-table table")
    header = table.locator("thead th").all_text_contents()
    for row in table.locator("tbody tr").all():
        screen[row.locator("th").inner_text()] = row.locator("td").all_text_contents()
    assert screen

    page.locator(".wb-export-button").click()
    link = page.locator(".wb-export-link a")
    link.wait_for(timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)

    wb = openpyxl.load_workbook(path)
    mention = source_mention()
    for ws in wb.worksheets:
        texts = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
        assert any(mention in t for t in texts), f"mention absente de la feuille {ws.title}"
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and r[1] == "Zone")
    assert list(rows[head][2:]) == header[1:]
    seen = 0
    for r in rows[head + 1:]:
        if r[1] not in screen:
            continue
        seen += 1
        for shown, cell in zip(screen[r[1]], r[2:], strict=True):
            if isinstance(cell, str):
                assert cell == shown  # a withheld cell: its status label on both sides
            else:
                assert re.search(r"\d", shown), f"{r[1]} : {shown!r} à l'écran, {cell} exporté"
                assert abs(_number(shown) / 100 - cell) <= 0.0005 + 1e-9
    assert seen == len(screen)


@pytest.mark.timeout(300)
def test_attributions_tab_shows_targets_as_published(page: Page, base) -> None:  # noqa: ANN001
    page.locator(".wb-tabs .lm-TabBar-tab, .wb-tabs .p-TabBar-tab").nth(1).click()
    tab = ".wb-tab-attributions .wb-attributions"
    page.wait_for_selector(f"{tab} .wb-attributions-table table tbody tr", timeout=120_000)
    page.wait_for_selector(f"{tab} .wb-chart-targets .gtitle", timeout=120_000)
    d = dictionary()
    target = d.indicator("objectif_q1_hors_qpv").target
    vintage = base.latest()
    cells = base.indicators(vintage, indicator="objectif_q1_hors_qpv", scale="commune")
    cells = cells[cells["category"] == target["category"]]
    names = base.areas(vintage, scale="commune").set_index("area_id")["name"]
    expected = {names[a]: row for a, row in zip(cells["area_id"], cells.itertuples(), strict=True)}
    rows = page.locator(f"{tab} .wb-attributions-table table tbody tr").all()
    assert len(rows) == len(expected)
    withheld = met = 0
    for row in rows:
        zone, shown, verdict = row.locator("td").all_text_contents()[:3]
        cell = expected[zone]
        if cell.status == "published":
            assert abs(_number(shown) / 100 - cell.value) <= 0.0005 + 1e-9
            assert (verdict == "Atteint") == (cell.value >= target["value"]), (zone, shown, verdict)
            met += verdict == "Atteint"
        else:
            withheld += 1
            assert shown == d.status_label(cell.status)
            assert not re.search(r"\d", verdict)
    assert met or withheld
    assert_no_error_output(page)
