"""Writers for the producers' formats: RPLS/SNE/BPE CSV, landlord workbooks, geography files.

Every writer is byte-deterministic (fixed timestamps inside zip containers and GeoPackages)
so that the same seed gives the same files.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from workbench.config import GEOGRAPHY_DIR
from workbench.dictionary import dictionary

FIXED_STAMP = "2000-01-01T00:00:00Z"
ZIP_DATE = (2000, 1, 1, 0, 0, 0)

RPLS_COLUMNS = [
    "IDENT_REP", "DEPCOM", "LIBCOM", "NUMVOIE", "TYPVOIE", "NOMVOIE", "CODEPOSTAL", "TYPECONST",
    "NBPIECE", "SURFHAB", "CONSTRUCT", "LOCAT", "FINAN", "DPEENERGIE", "QPV", "PLG_QP24",
    "PLG_IRIS2024_CODE", "EPSG", "X", "Y", "RS", "MODE", "DUREEVAC", "BAIL", "LOYERPRINC",
    "CONTRESLOG",
]


def rpls_header(style: int) -> list[str]:
    """Column names as the SDES ships them: 2025 style (canonical) or 2023 style (aliases)."""
    if style >= 2025:
        return list(RPLS_COLUMNS)
    stock = dictionary().themes["stock"]
    names = []
    for name in RPLS_COLUMNS:
        col = stock.column(name)
        aliases = list(col.aliases) if name != "IDENT_REP" else []
        names.append(aliases[0] if aliases else name)
    return names


def write_csv(df: pd.DataFrame, path: Path, header: bool = True, mode: str = "w") -> None:
    """';'-separated UTF-8 CSV, strings quoted, numbers bare (as the SDES and the SNE ship).

    Written with pyarrow (several times faster than pandas for the national files); its
    "needed" quoting quotes every string value and no number, like csv.QUOTE_NONNUMERIC.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    options = pacsv.WriteOptions(include_header=header, delimiter=";", quoting_style="needed")
    with path.open("ab" if mode == "a" else "wb") as sink:
        pacsv.write_csv(table, sink, options)


def _esc(value: object) -> str:
    text = str(value)
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    return text


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value == "" or (
        isinstance(value, float) and value != value)


def _rows_xml(df: pd.DataFrame, kind: str, first_row: int) -> list[str]:
    """One XML string per row: its cells in SpreadsheetML (xlsx) or OpenDocument (ods)."""
    columns = []
    for i, col in enumerate(df.columns):
        values = df[col].astype(object).tolist()
        numeric = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(
            df[col])
        letter = chr(ord("A") + i)
        if kind == "xlsx":
            if numeric:
                cells = ["" if _is_missing(v) else f'<c r="{letter}{r}"><v>{v}</v></c>'
                         for r, v in enumerate(values, first_row)]
            else:
                cells = ["" if _is_missing(v) else
                         f'<c r="{letter}{r}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
                         for r, v in enumerate(values, first_row)]
        elif numeric:
            cells = ["<table:table-cell/>" if _is_missing(v) else
                     f'<table:table-cell office:value-type="float" office:value="{v}">'
                     f"<text:p>{v}</text:p></table:table-cell>" for v in values]
        else:
            cells = ["<table:table-cell/>" if _is_missing(v) else
                     f'<table:table-cell office:value-type="string"><text:p>{_esc(v)}</text:p>'
                     "</table:table-cell>" for v in values]
        columns.append(cells)
    if kind == "xlsx":
        return [f'<row r="{r}">' + "".join(cells) + "</row>"
                for r, cells in enumerate(zip(*columns, strict=True), first_row)]
    return ["<table:table-row>" + "".join(cells) + "</table:table-row>"
            for cells in zip(*columns, strict=True)]


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
}

_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>")
_ODS_CONTENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="{sheet}">')


def write_workbook(df: pd.DataFrame, path: Path, sheet: str = "occupation") -> None:
    """One-sheet .xlsx or .ods workbook, written straight as XML.

    openpyxl and odfpy build one Python object per cell (minutes for the 120,000 rows of a
    vintage); the container format is simple enough to emit in bulk as text. The tests read the files back with openpyxl and odfpy (pandas engines).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = "ods" if path.suffix == ".ods" else "xlsx"
    header = pd.DataFrame([list(df.columns)], columns=df.columns).astype(str)
    rows = "".join(_rows_xml(header, kind, 1) + _rows_xml(df, kind, 2))
    if kind == "xlsx":
        sheet_xml = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<sheetData>" + rows + "</sheetData></worksheet>")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in _XLSX_PARTS.items():
                z.writestr(zipfile.ZipInfo(name, ZIP_DATE), text.replace("{sheet}", sheet),
                           zipfile.ZIP_DEFLATED)
            z.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", ZIP_DATE), sheet_xml,
                       zipfile.ZIP_DEFLATED)
    else:
        content = (_ODS_CONTENT_HEAD.replace("{sheet}", sheet) + rows
                   + "</table:table></office:spreadsheet></office:body></office:document-content>")
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(zipfile.ZipInfo("mimetype", ZIP_DATE),
                       "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
            z.writestr(zipfile.ZipInfo("META-INF/manifest.xml", ZIP_DATE), _ODS_MANIFEST,
                       zipfile.ZIP_DEFLATED)
            z.writestr(zipfile.ZipInfo("content.xml", ZIP_DATE), content, zipfile.ZIP_DEFLATED)


def write_geography(communes_src: Path | None, iris: gpd.GeoDataFrame, qpv: gpd.GeoDataFrame,
                    folder: Path) -> None:
    """communes.geojson (copy), iris.gpkg (CONTOURS-IRIS-like), qpv.geojson (ANCT-like)."""
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    if communes_src is not None:
        shutil.copyfile(communes_src, folder / "communes.geojson")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_STAMP})
    target = folder / "iris.gpkg"
    target.unlink(missing_ok=True)
    cols = ["CODE_IRIS", "INSEE_COM", "NOM_COM", "IRIS", "NOM_IRIS", "TYP_IRIS", "geometry"]
    iris[cols].to_crs("EPSG:4326").to_file(target, driver="GPKG", layer="iris", engine="pyogrio")
    qpath = folder / "qpv.geojson"
    qpath.unlink(missing_ok=True)
    qpv.to_crs("EPSG:4326").to_file(qpath, driver="GeoJSON", engine="pyogrio",
                                     layer_options={"COORDINATE_PRECISION": 6})


MEL_COMMUNES_FILE = GEOGRAPHY_DIR / "mel_communes_contours_adminexpress2018.geojson"
MARKER = "LISEZMOI_DONNEES_FICTIVES.txt"


class DemoFolderError(ValueError):
    """The sources folder holds files the demo did not write: never overwrite them."""


def prepare_sources(sources: Path, vintages: list[int], description: str) -> None:
    """Empty the folders the demo rewrites, after checking they hold demo files only.

    A marker file labels the folder as fictional; a folder with files but no marker may hold
    real producers' files, so the demo refuses to touch it.
    """
    marker = sources / MARKER
    if sources.exists() and any(sources.iterdir()) and not marker.exists():
        raise DemoFolderError(
            f"Le dossier {sources} contient déjà des fichiers qui ne viennent pas du générateur "
            "de démonstration (pas de fichier " + MARKER + ") : choisissez un autre dossier "
            "avec --home, ou videz celui-ci."
        )
    for name in ["geographie", *(str(v) for v in vintages)]:
        shutil.rmtree(sources / name, ignore_errors=True)
    sources.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "DONNÉES FICTIVES — générées par « workbench demo-data » pour la démonstration et les "
        "tests.\nAucune ligne ne décrit un logement, un ménage ou une attribution réels ; seuls "
        "les contours des communes et des IRIS sont réels (voir data/mel/SOURCES.md).\n"
        + description + "\n",
        encoding="utf-8",
    )
