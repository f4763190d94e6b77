"""Primary rules 1-4 (``primary_statuses``) on hand-made cell frames."""

from __future__ import annotations

import pandas as pd
from secrecy_cases import RULES

from workbench.dictionary import dictionary
from workbench.secrecy import primary_statuses

OCC_BASES = {
    "reponse": ("menages", ""),
    "composition": ("reponse", "REPONDU"),
    "anciennete": ("reponse", "REPONDU"),
    "revenus_recents": ("anciennete", "RECENT"),
}
ATT_BASES = {"localisation": ("attributions", ""), "prioritaires": ("attributions", "")}


def frame(rows: list[tuple[str, str, str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicator", "category", "scale", "area_id", "count", "base"])


def statuses(rows: list, theme: str, base_of: dict) -> dict[tuple[str, str, str], str]:
    cells = frame(rows)
    s = primary_statuses(cells, theme, dictionary(), RULES, base_of)
    return {(i, c, a): st for i, c, a, st in zip(cells["indicator"], cells["category"], cells["area_id"], s, strict=True)}


def test_threshold_counts_and_shares_below_eleven_units() -> None:
    """Rule 1: 10 units withheld, 11 published; a share rests on its base's units."""
    st = statuses(
        [
            ("logements", "", "iris", "I1", 10, 10),
            ("logements", "", "iris", "I2", 11, 11),
            ("typologie", "T1", "iris", "I1", 4, 10),
            ("typologie", "T2", "iris", "I1", 6, 10),
            ("typologie", "T1", "iris", "I2", 3, 11),
            ("typologie", "T2", "iris", "I2", 8, 11),
        ],
        "stock",
        {"typologie": ("logements", "")},
    )
    assert st[("logements", "", "I1")] == "below_threshold"
    assert st[("logements", "", "I2")] == "published"
    assert st[("typologie", "T1", "I1")] == "below_threshold"
    assert st[("typologie", "T2", "I1")] == "below_threshold"
    # A share of 3 units is published when its base has 11: the figure is a share of 11.
    assert st[("typologie", "T1", "I2")] == "published"


def _occupation(rate_num: int, households: int, area: str) -> list:
    return [
        ("menages", "", "iris", area, households, households),
        ("reponse", "REPONDU", "iris", area, rate_num, households),
        ("reponse", "NON_REPONDU", "iris", area, households - rate_num, households),
        ("composition", "SEUL", "iris", area, rate_num // 2, rate_num),
        ("composition", "COUPLE", "iris", area, rate_num - rate_num // 2, rate_num),
        ("anciennete", "RECENT", "iris", area, 12, rate_num),
        ("anciennete", "ANCIEN", "iris", area, rate_num - 12, rate_num),
        ("revenus_recents", "Q1", "iris", area, 5, 12),
        ("revenus_recents", "Q2", "iris", area, 7, 12),
    ]


def test_response_rate_below_sixty_percent_withholds_the_survey_profile() -> None:
    """Rule 2: 59 % response -> every survey share withheld (even through a chain of bases);
    60 % -> published. The response rate itself stays published (exempt from rule 2)."""
    st = statuses(_occupation(59, 100, "LOW") + _occupation(60, 100, "OK"), "occupation", OCC_BASES)
    for ind, cat in [("composition", "SEUL"), ("composition", "COUPLE"), ("anciennete", "RECENT"),
                     ("revenus_recents", "Q1"), ("revenus_recents", "Q2")]:
        assert st[(ind, cat, "LOW")] == "low_response", (ind, cat)
        assert st[(ind, cat, "OK")] == "published", (ind, cat)
    assert st[("menages", "", "LOW")] == "published"
    assert st[("reponse", "REPONDU", "LOW")] == "published"


def test_extreme_shares_and_their_complement_are_withheld() -> None:
    """Rule 3: a 100 % share and its 0 % complement are both withheld; 1/20 is published;
    the response share is exempt (a 100 % response rate is no secret about households)."""
    rows = [
        ("menages", "", "iris", "A", 20, 20),
        ("reponse", "REPONDU", "iris", "A", 20, 20),
        ("reponse", "NON_REPONDU", "iris", "A", 0, 20),
        ("composition", "SEUL", "iris", "A", 20, 20),
        ("composition", "COUPLE", "iris", "A", 0, 20),
        ("anciennete", "RECENT", "iris", "A", 1, 20),
        ("anciennete", "ANCIEN", "iris", "A", 19, 20),
    ]
    st = statuses(rows, "occupation", OCC_BASES)
    assert st[("composition", "SEUL", "A")] == "extreme_share"
    assert st[("composition", "COUPLE", "A")] == "extreme_share"
    assert st[("anciennete", "RECENT", "A")] == "published"
    assert st[("anciennete", "ANCIEN", "A")] == "published"
    assert st[("reponse", "REPONDU", "A")] == "published"
    assert st[("reponse", "NON_REPONDU", "A")] == "published"


def test_extremes_do_not_apply_to_the_stock_theme() -> None:
    """The stock (public RPLS) follows the threshold rule only: a 100 % share is published."""
    st = statuses(
        [("logements", "", "iris", "A", 30, 30), ("typologie", "T1", "iris", "A", 30, 30),
         ("typologie", "T2", "iris", "A", 0, 30)],
        "stock", {"typologie": ("logements", "")},
    )
    assert st[("typologie", "T1", "A")] == "published"
    assert st[("typologie", "T2", "A")] == "published"


def test_attributions_threshold_and_not_at_residence_scale() -> None:
    """Rule 4: fewer than 11 attributions (3-year cumulation) withheld; never at résidence scale,
    whatever the count; the scale reason wins over the others."""
    st = statuses(
        [
            ("attributions", "", "commune", "C1", 10, 10),
            ("attributions", "", "commune", "C2", 11, 11),
            ("attributions", "", "residence", "R1", 40, 40),
            ("attributions", "", "residence", "R2", 3, 3),
            ("prioritaires", "OUI", "commune", "C2", 11, 11),
            ("prioritaires", "NON", "commune", "C2", 0, 11),
            ("prioritaires", "OUI", "commune", "C3", 5, 30),
            ("prioritaires", "NON", "commune", "C3", 25, 30),
        ],
        "attributions",
        ATT_BASES,
    )
    assert st[("attributions", "", "C1")] == "below_threshold"
    assert st[("attributions", "", "C2")] == "published"
    assert st[("attributions", "", "R1")] == "not_at_scale"
    assert st[("attributions", "", "R2")] == "not_at_scale"
    assert st[("prioritaires", "OUI", "C2")] == "extreme_share"
    assert st[("prioritaires", "NON", "C2")] == "extreme_share"
    assert st[("prioritaires", "OUI", "C3")] == "published"
