"""The three notebooks executed with papermill on the demo base, as the reports batch does."""

from __future__ import annotations

import html
import json

import nbformat
import papermill as pm
import pytest

from workbench.config import NOTEBOOKS_DIR, source_mention
from workbench.dictionary import dictionary
from workbench.fiche import GUIDANCE_PREFIX
from workbench.published import PublishedBase


def _run(name: str, tmp_path, **parameters) -> str:
    """Execute a notebook and return the text of all its outputs (markdown, html, plain)."""
    out = tmp_path / f"{name}-{abs(hash(json.dumps(parameters, sort_keys=True)))}.ipynb"
    pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(NOTEBOOKS_DIR), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o.get("output_type") != "error", o
            data = o.get("data", {})
            for mime in ("text/markdown", "text/plain"):
                if mime in data:
                    texts.append(str(data[mime]))
            if "application/vnd.plotly.v1+json" in data:
                texts.append(json.dumps(data["application/vnd.plotly.v1+json"],
                                        ensure_ascii=False))
            if o.get("output_type") == "stream":
                texts.append(o.get("text", ""))
    return html.unescape("\n".join(texts))


def test_notebooks_have_a_parameters_cell():
    for name in ("diagnostic", "attributions_ciet", "fiche_residence"):
        nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        for p in ("vintage", "territory", "scale", "residence_id"):
            assert f"{p} =" in tagged[0].source


@pytest.fixture(scope="module")
def picks(demo_home):
    base = PublishedBase()
    v = base.latest()
    res = base.areas(v, "residence")
    per_commune = res["commune"].value_counts()
    frag = base.indicators(v, indicator="fragilite", scale="residence")
    return {
        "base": base, "vintage": v,
        "big": str(per_commune.index[0]), "small": str(per_commune.index[-1]),
        "published": str(frag.loc[frag.status == "published", "area_id"].iloc[0]),
        "withheld": str(frag.loc[frag.status != "published", "area_id"].iloc[0]),
    }


def test_diagnostic_of_a_big_and_a_small_commune(picks, tmp_path):
    base, v = picks["base"], picks["vintage"]
    for commune in (picks["big"], picks["small"]):
        text = _run("diagnostic", tmp_path, vintage=v, territory=commune, scale="commune")
        name = base.area(v, commune, "commune")["name"]
        assert f"{name} — Commune ({commune}), millésime {v}" in text
        assert source_mention() in text
        assert "## 1." not in text  # headings are markdown cells, not outputs
        d = dictionary()
        labels = [*d.indicator("fragilite").categories.values(),
                  *(st["label"] for st in d.statuses.values())]
        assert "Répartition des classes" in text
        assert any(label in text.split("Répartition des classes")[1] for label in labels)


def test_diagnostic_of_the_metropole_by_default(picks, tmp_path):
    base, v = picks["base"], picks["vintage"]
    text = _run("diagnostic", tmp_path)
    assert base.areas(v, "epci")["name"].iloc[0] in text
    assert "Répartition des classes" in text


def test_attributions_targets(picks, tmp_path):
    d = dictionary()
    text = _run("attributions_ciet", tmp_path, scale="epci")
    for name in ("objectif_q1_hors_qpv", "objectif_non_q1_qpv", "prioritaires"):
        assert d.indicator(name).label in text
    for scale in ("commune", "bailleur", "reservataire"):
        assert f"## Par {d.scale_label(scale).lower()}" in text
    assert source_mention() in text


def test_fiche_of_a_published_residence(picks, tmp_path):
    base, v = picks["base"], picks["vintage"]
    rid = picks["published"]
    text = _run("fiche_residence", tmp_path, vintage=v, residence_id=rid)
    assert str(base.area(v, rid, "residence")["name"]) in text
    assert GUIDANCE_PREFIX in text
    frag = base.indicators(v, indicator="fragilite", scale="residence", area_ids=[rid]).iloc[0]
    assert dictionary().indicator("fragilite").category_label(frag.category) in text


def test_fiche_of_a_withheld_residence(picks, tmp_path):
    base, v = picks["base"], picks["vintage"]
    rid = picks["withheld"]
    text = _run("fiche_residence", tmp_path, vintage=v, residence_id=rid)
    d = dictionary()
    frag = base.indicators(v, indicator="fragilite", scale="residence", area_ids=[rid]).iloc[0]
    assert d.explanation(frag.status, "context", "residence") in text
    assert "aucune préconisation fondée sur l'occupation" in text
    assert source_mention() in text
