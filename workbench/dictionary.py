"""The data dictionary: the single source of labels, code lists, scales, rules and permissions.

One YAML file per theme in ``data_dictionary/`` plus ``common.yaml`` (scales, statuses,
rules). Loaders validate input columns against it, the build declares its indicators from it,
widgets and exports take their labels from it, and ``workbench dictionary`` renders it for new
users. Nothing else in the project writes a label or a code list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.config import DICTIONARY_DIR

THEMES = ("stock", "occupation", "attributions", "context")
COLUMN_TYPES = {"string", "integer", "number", "code", "date", "month"}
INDICATOR_KINDS = {"count", "share", "ratio", "distance", "class"}


class DictionaryError(ValueError):
    """The dictionary itself is inconsistent (a developer or administrator error)."""


@dataclass(frozen=True)
class Column:
    """An input column as a producer ships it."""

    name: str
    label: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: dict[str, str] | None = None
    codes_name: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    unique: bool = False
    version_loi: bool = False
    definition: str = ""
    empty_means: str | None = None


@dataclass(frozen=True)
class Indicator:
    """A published indicator: a count, or a share of a base split into categories."""

    name: str
    theme: str
    label: str
    definition: str
    kind: str
    base: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    same_as: tuple[str, str] | None = None
    target: dict[str, Any] | None = None
    version_loi: bool = False
    scales: tuple[str, ...] = ()
    export_scales: tuple[str, ...] = ()
    unit_label: str | None = None
    mapping: dict[str, list[str]] | None = None
    bins: list[float] | None = None
    method: dict[str, Any] | None = None
    from_code: str | None = None
    exempt_rules: tuple[str, ...] = ()

    def category_label(self, code: str) -> str:
        return self.categories.get(code, code) if code else self.label


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    source: str
    frequency: str
    unit: str
    unit_plural: str
    rules: tuple[str, ...]
    show_scales: tuple[str, ...]
    export_scales: tuple[str, ...]
    codes: dict[str, dict[str, str]]
    columns: tuple[Column, ...]
    indicators: dict[str, Indicator]
    raw: dict[str, Any]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name or name in col.aliases:
                return col
        raise KeyError(name)

    def file_columns(self, file_key: str) -> tuple[Column, ...]:
        """Columns of a named file of a theme with several files (the context theme)."""
        spec = self.raw.get("files", {}).get(file_key)
        if spec is None:
            raise KeyError(file_key)
        return tuple(_column(c, self.codes, f"{self.name}.{file_key}") for c in spec["columns"])


@dataclass(frozen=True)
class Dictionary:
    themes: dict[str, Theme]
    scales: dict[str, dict[str, Any]]
    statuses: dict[str, dict[str, str]]
    rules: dict[str, dict[str, Any]]
    retention: dict[str, Any]

    def indicator(self, name: str) -> Indicator:
        for theme in self.themes.values():
            if name in theme.indicators:
                return theme.indicators[name]
        raise KeyError(f"indicateur inconnu du dictionnaire : « {name} »")

    def indicators(self) -> list[Indicator]:
        return [i for t in self.themes.values() for i in t.indicators.values()]

    def scale_label(self, scale: str, plural: bool = False) -> str:
        spec = self.scales[scale]
        return spec["label_plural"] if plural else spec["label"]

    def status_label(self, status: str) -> str:
        return self.statuses[status]["label"]

    def explanation(self, status: str, theme: str, scale: str | None = None) -> str:
        """The French tooltip for a status, e.g. « Secret statistique : moins de 11 ménages. »"""
        t = self.themes[theme]
        return self.statuses[status]["explanation"].format(
            threshold=self.rules["threshold"]["default"],
            unit_plural=t.unit_plural,
            min_response_pct=round(100 * self.rules["response"]["default"]),
            scale_label=self.scale_label(scale) if scale else "",
        )


def _column(spec: dict[str, Any], codes: dict[str, dict[str, str]], where: str) -> Column:
    missing = {"name", "label", "type"} - set(spec)
    if missing:
        raise DictionaryError(f"{where} : colonne sans {', '.join(sorted(missing))} : {spec}")
    if spec["type"] not in COLUMN_TYPES:
        raise DictionaryError(f"{where}.{spec['name']} : type inconnu « {spec['type']} »")
    code_list = None
    if spec["type"] == "code":
        name = spec.get("codes")
        if name not in codes:
            raise DictionaryError(f"{where}.{spec['name']} : liste de codes inconnue « {name} »")
        code_list = codes[name]
    return Column(
        name=spec["name"],
        label=spec["label"],
        type=spec["type"],
        required=bool(spec.get("required", False)),
        aliases=tuple(spec.get("aliases", ())),
        codes=code_list,
        codes_name=spec.get("codes"),
        pattern=spec.get("pattern"),
        min=spec.get("min"),
        max=spec.get("max"),
        unique=bool(spec.get("unique", False)),
        version_loi=bool(spec.get("version_loi", False)),
        definition=spec.get("definition", ""),
        empty_means=spec.get("empty_means"),
    )


def _theme(raw: dict[str, Any], scales: dict[str, Any]) -> Theme:
    name = raw["theme"]
    codes = {k: {str(c): str(v) for c, v in cl.items()} for k, cl in raw.get("codes", {}).items()}
    columns = tuple(_column(c, codes, name) for c in raw.get("columns", ()))
    show = tuple(raw["scales"]["show"])
    export = tuple(raw["scales"]["export"])
    for s in (*show, *export):
        if s not in scales:
            raise DictionaryError(f"{name} : échelle inconnue « {s} »")
    if not set(export) <= set(show):
        raise DictionaryError(f"{name} : une échelle d'export doit aussi être une échelle d'affichage")
    indicators: dict[str, Indicator] = {}
    for spec in raw.get("indicators", ()):
        iname = spec["name"]
        kind = spec.get("kind")
        if kind not in INDICATOR_KINDS:
            raise DictionaryError(f"{name}.{iname} : nature inconnue « {kind} »")
        cats = spec.get("categories")
        from_code = spec.get("from_code") or spec.get("categories_from")
        if from_code:
            if from_code not in codes:
                raise DictionaryError(f"{name}.{iname} : liste de codes inconnue « {from_code} »")
            cats = codes[from_code]
        if kind in {"share", "distance", "class"} and not cats:
            raise DictionaryError(f"{name}.{iname} : indicateur « {kind} » sans catégories")
        same_as = None
        if spec.get("same_as"):
            ind, _, cat = spec["same_as"].partition(".")
            same_as = (ind, cat)
        ind_scales = tuple(spec.get("scales", show))
        indicators[iname] = Indicator(
            name=iname,
            theme=name,
            label=spec["label"],
            definition=spec.get("definition", ""),
            kind=kind,
            base=spec.get("base"),
            categories={str(k): str(v) for k, v in (cats or {}).items()},
            same_as=same_as,
            target=spec.get("target"),
            version_loi=bool(spec.get("version_loi", False)),
            scales=ind_scales,
            export_scales=tuple(s for s in export if s in ind_scales),
            unit_label=spec.get("unit_label"),
            mapping=spec.get("mapping"),
            bins=spec.get("bins"),
            method=spec.get("method"),
            from_code=from_code,
            exempt_rules=tuple(spec.get("exempt_rules", ())),
        )
    for ind in indicators.values():
        if ind.base and ind.base not in indicators:
            raise DictionaryError(f"{name}.{ind.name} : base inconnue « {ind.base} »")
        if ind.same_as:
            target, cat = ind.same_as
            if target not in indicators or cat not in indicators[target].categories:
                raise DictionaryError(f"{name}.{ind.name} : same_as inconnu « {target}.{cat} »")
        if ind.target and ind.target["category"] not in ind.categories:
            raise DictionaryError(f"{name}.{ind.name} : catégorie cible inconnue")
    return Theme(
        name=name,
        label=raw["label"],
        source=raw["source"],
        frequency=raw.get("frequency", ""),
        unit=raw["unit"],
        unit_plural=raw["unit_plural"],
        rules=tuple(raw.get("rules", ())),
        show_scales=show,
        export_scales=export,
        codes=codes,
        columns=columns,
        indicators=indicators,
        raw=raw,
    )


def load_dictionary(folder: Path = DICTIONARY_DIR) -> Dictionary:
    """Read and check every file of the dictionary (raises DictionaryError in French)."""
    try:
        common = yaml.safe_load((folder / "common.yaml").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DictionaryError(f"dictionnaire introuvable : {exc.filename}") from exc
    themes: dict[str, Theme] = {}
    for name in THEMES:
        raw = yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))
        if raw.get("theme") != name:
            raise DictionaryError(f"{name}.yaml : le champ « theme » doit valoir « {name} »")
        for rule in raw.get("rules", ()):
            if rule not in common["rules"]:
                raise DictionaryError(f"{name}.yaml : règle inconnue « {rule} »")
        themes[name] = _theme(raw, common["scales"])
    seen: dict[str, str] = {}
    for theme in themes.values():
        for ind in theme.indicators:
            if ind in seen:
                raise DictionaryError(
                    f"indicateur « {ind} » déclaré deux fois ({seen[ind]} et {theme.name})"
                )
            seen[ind] = theme.name
    return Dictionary(
        themes=themes,
        scales=common["scales"],
        statuses=common["statuses"],
        rules=common["rules"],
        retention=common.get("retention", {}),
    )


@functools.cache
def dictionary() -> Dictionary:
    """The project's dictionary, loaded once per process."""
    return load_dictionary()


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Dictionary | None = None) -> str:
    """A readable French document of the whole dictionary, for new users."""
    d = d or dictionary()
    out = ["# Dictionnaire des données", ""]
    out += [
        "Ce document est généré à partir des fichiers `data_dictionary/*.yaml`, seule source des "
        "libellés, listes de codes, échelles et règles de l'atelier.",
        "",
        "## Règles de secret statistique",
        "",
        "| règle | définition | valeur par défaut |",
        "| --- | --- | --- |",
    ]
    for rule in d.rules.values():
        out.append(f"| {_cell(rule['label'])} | {_cell(rule['definition'])} | {rule.get('default', '')} |")
    out += ["", "## Statuts des données", "", "| statut | libellé | explication |", "| --- | --- | --- |"]
    for code, st in d.statuses.items():
        out.append(f"| `{code}` | {_cell(st['label'])} | {_cell(st['explanation'])} |")
    out += ["", "## Échelles", ""]
    out += [f"- **{s['label']}** (`{code}`)" for code, s in d.scales.items()]
    for theme in d.themes.values():
        out += ["", f"## {theme.label}", ""]
        out += [
            f"- **Source** : {theme.source}",
            f"- **Fréquence** : {theme.frequency}",
            f"- **Unité comptée** : {theme.unit}",
            "- **Échelles d'affichage** : "
            + ", ".join(d.scale_label(s) for s in theme.show_scales),
            "- **Échelles d'export** : "
            + ", ".join(d.scale_label(s) for s in theme.export_scales),
            "- **Règles appliquées** : "
            + (", ".join(d.rules[r]["label"] for r in theme.rules) or "aucune (données publiques)"),
        ]
        if theme.indicators:
            out += ["", "### Indicateurs publiés", "", "| indicateur | définition | nature | catégories |", "| --- | --- | --- | --- |"]
            for ind in theme.indicators.values():
                cats = "; ".join(f"{k} = {v}" for k, v in ind.categories.items())
                extra = " (version loi)" if ind.version_loi else ""
                out.append(
                    f"| **{_cell(ind.label)}** (`{ind.name}`){extra} | {_cell(ind.definition)} "
                    f"| {ind.kind} | {_cell(cats)} |"
                )
                if ind.method:
                    drivers = ", ".join(dr["label"] for dr in ind.method["drivers"])
                    out.append(f"| | Indicateurs moteurs : {_cell(drivers)} | | |")
        if theme.columns:
            out += ["", "### Colonnes du fichier source", "", "| colonne | libellé | type | obligatoire | codes |", "| --- | --- | --- | --- | --- |"]
            for col in theme.columns:
                names = " / ".join((col.name, *col.aliases))
                codes = "; ".join(f"{k} = {v}" for k, v in (col.codes or {}).items())
                out.append(
                    f"| `{names}` | {_cell(col.label)} | {col.type} | "
                    f"{'oui' if col.required else 'non'} | {_cell(codes)} |"
                )
    return "\n".join(out) + "\n"


def render_html(d: Dictionary | None = None) -> str:
    """The same document as HTML (one self-contained page)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(render_markdown(d))
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
        "vertical-align:top}th{background:#eef3f8}"
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Dictionnaire des données</title><style>{style}</style></head>"
        f"<body>{body}</body></html>"
    )
