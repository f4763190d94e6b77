"""End to end: the real diagnostic notebook over the demo's published base, through the real
`workbench report` command; every report must show its commune's figures and the source mention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_workbench

from workbench.config import source_mention
from workbench.published import PublishedBase
from workbench.tables import format_value

pytestmark = pytest.mark.slow


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(page.replace("&nbsp;", " ").replace("\u202f", " ").split())


@pytest.fixture(scope="module")
def demo_batch(demo_home: Path):
    base = PublishedBase()
    vintage = base.latest()
    stock = base.indicators(vintage, theme="stock", indicator="logements", scale="commune")
    stock = stock[stock["status"] == "published"].sort_values("value")
    # The smallest, a middle-sized and the largest commune (by published dwellings).
    picks = list(dict.fromkeys(stock["area_id"].iloc[[0, len(stock) // 2, -1]]))
    only = [arg for code in picks for arg in ("--only", code)]
    result = run_workbench(
        "report", "--vintage", str(vintage), "--kind", "diagnostic", "--scale", "commune",
        *only, "--workers", "2", home=demo_home, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = next((demo_home / "reports").glob(f"*_diagnostic_commune_{vintage}"))
    return base, vintage, picks, folder, result


def test_every_report_shows_its_commune_and_the_source(demo_batch) -> None:
    base, vintage, picks, folder, _ = demo_batch
    index = (folder / "index.html").read_text("utf-8")
    assert source_mention() in _visible_text(index)
    for code in picks:
        page = (folder / f"diagnostic_commune_{code}.html").read_text("utf-8")
        text = _visible_text(page)
        assert f'href="diagnostic_commune_{code}.html"' in index
        assert base.area(vintage, code, "commune")["name"] in text
        logements = base.indicators(
            vintage, theme="stock", indicator="logements", scale="commune", area_ids=[code]
        )
        shown = format_value(float(logements["value"].iloc[0]), "count").replace("\u202f", " ")
        assert shown in text, f"{code} : {shown} logements absent du rapport"
        assert source_mention() in text
        assert "import " not in text  # the code is hidden
