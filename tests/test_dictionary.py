"""The data dictionary loads, is consistent, renders, and refuses inconsistent edits."""

import shutil
from pathlib import Path

import pytest
import yaml

from workbench.config import DICTIONARY_DIR
from workbench.dictionary import (
    DictionaryError,
    load_dictionary,
    render_html,
    render_markdown,
)
from workbench.indicators import DERIVATIONS


def test_every_theme_has_source_unit_scales_and_rules():
    d = load_dictionary()
    assert set(d.themes) == {"stock", "occupation", "attributions", "context"}
    for theme in d.themes.values():
        assert theme.source and theme.unit and theme.show_scales
        assert set(theme.export_scales) <= set(theme.show_scales)


def test_attributions_are_not_shown_at_residence_scale():
    d = load_dictionary()
    att = d.themes["attributions"]
    assert "residence" not in att.show_scales
    assert att.raw["scales"]["residence_allowed"] is False


def test_every_counted_indicator_has_a_derivation():
    d = load_dictionary()
    counted = {
        i.name for i in d.indicators() if i.kind in {"count", "share"} and i.same_as is None
    }
    assert counted - set(DERIVATIONS) == set()
    assert set(DERIVATIONS) - counted == set(), "règle de calcul sans indicateur déclaré"


def test_explanation_names_the_unit_of_the_theme():
    d = load_dictionary()
    assert d.explanation("below_threshold", "occupation") == "Secret statistique : moins de 11 ménages."
    assert "logements" in d.explanation("below_threshold", "stock")
    assert "Résidence" in d.explanation("not_at_scale", "attributions", "residence")


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "dico"
    shutil.copytree(DICTIONARY_DIR, folder)
    return folder


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s["columns"][0].update(type="texte"), "type inconnu"),
        (lambda s: s["indicators"][1].update(base="inexistant"), "base inconnue"),
        (lambda s: s["scales"]["show"].append("planete"), "échelle inconnue"),
        (lambda s: s["columns"][7].update(codes="PAS_DE_LISTE"), "liste de codes inconnue"),
    ],
)
def test_inconsistent_dictionary_is_refused_in_french(tmp_path, edit, message):
    folder = _copy(tmp_path)
    path = folder / "stock.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(spec)
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DictionaryError, match=message):
        load_dictionary(folder)


def test_rendering_lists_every_indicator_and_column():
    d = load_dictionary()
    md = render_markdown(d)
    for ind in d.indicators():
        assert ind.label.replace("|", "\\|") in md
    for col in d.themes["stock"].columns:
        assert col.name in md
    html = render_html(d)
    assert html.startswith("<!doctype html>") and "<table>" in html and 'lang="fr"' in html
