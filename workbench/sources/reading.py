"""Opening producers' files as text tables: CSV in chunks, spreadsheet sheets, with French errors.

Everything is read as text (no type guessing) so that the dictionary checks see exactly what
the producer wrote; an unreadable file, a wrong encoding, a wrong separator or a missing sheet
is rejected here, before any value is looked at.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from workbench.dictionary import Column
from workbench.sources.errors import reject
from workbench.sources.validate import (
    STRING,
    check_separator,
    normalize_spreadsheet_text,
    resolve_columns,
)

CHUNK_ROWS = 500_000


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _exists(path: Path) -> None:
    if not path.exists():
        raise reject(path, "un fichier présent à cet emplacement", f"fichier introuvable : {path}")
    if not path.is_file():
        raise reject(path, "un fichier (pas un dossier)", "ce chemin n'est pas un fichier")


def csv_header(path: Path, separator: str = ";") -> list[str]:
    """The header of a UTF-8 CSV, after checking encoding and separator."""
    _exists(path)
    try:
        with path.open("rb") as fh:
            raw = fh.readline(1 << 20)
        line = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise reject(
            path, "un fichier texte CSV encodé en UTF-8",
            f"fichier illisible (en-tête non UTF-8, octet {exc.start})", row=1,
        ) from exc
    except OSError as exc:
        raise reject(path, "un fichier lisible", f"fichier illisible ({exc.strerror})") from exc
    if not line.strip():
        raise reject(path, "une ligne d'en-tête avec les noms de colonnes", "fichier vide", row=1)
    if "\x00" in line:
        raise reject(path, "un fichier texte CSV", "fichier illisible (contenu binaire)", row=1)
    check_separator(line, path.name, separator)
    return next(csv.reader([line], delimiter=separator))


def _locate_csv_fault(path: Path, separator: str, width: int) -> tuple[int | None, str]:
    """Find the first line whose field count or encoding is wrong (error path only)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=separator, quotechar='"')
            for fields in reader:
                if len(fields) != width and any(f.strip() for f in fields):
                    return reader.line_num, f"ligne mal formée ({len(fields)} champs au lieu de {width})"
    except UnicodeDecodeError as exc:
        with path.open("rb") as fh:
            line = fh.read(exc.start).count(b"\n") + 1
        return line, "fichier illisible (encodage non UTF-8)"
    return None, "fichier mal formé"


def read_csv_chunks(
    path: Path, columns: Sequence[Column], separator: str = ";", chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield (text chunk with canonical column names, editor line of its first row).

    pyarrow's streaming reader keeps memory bounded and rejects rows with a wrong number of
    fields (pandas silently tolerates them when only some columns are read).
    """
    header = csv_header(path, separator)
    mapping = resolve_columns(header, columns, path.name)
    rename = {v: k for k, v in mapping.items()}
    wanted = list(mapping.values())
    read = pacsv.ReadOptions(encoding="utf8", block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=separator, quote_char='"', newlines_in_values=False)
    convert = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    line = 2
    buffer: list[pd.DataFrame] = []
    buffered = 0
    try:
        with pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert) as r:
            for batch in r:
                frame = batch.to_pandas(types_mapper={pa.string(): STRING}.get)
                buffer.append(frame)
                buffered += len(frame)
                if buffered >= chunk_rows:
                    chunk = pd.concat(buffer, ignore_index=True)
                    buffer, buffered = [], 0
                    for start in range(0, len(chunk), chunk_rows):
                        part = chunk.iloc[start : start + chunk_rows].reset_index(drop=True)
                        yield part.rename(columns=rename), line
                        line += len(part)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        row, message = _locate_csv_fault(path, separator, len(header))
        raise reject(
            path, f"un fichier CSV UTF-8 avec {len(header)} champs séparés par « {separator} » "
            "sur chaque ligne", message, row=row,
        ) from exc
    if buffer:
        chunk = pd.concat(buffer, ignore_index=True)
        for start in range(0, len(chunk), chunk_rows):
            part = chunk.iloc[start : start + chunk_rows].reset_index(drop=True)
            yield part.rename(columns=rename), line
            line += len(part)


def read_sheet(path: Path, sheet: str, columns: Sequence[Column]) -> pd.DataFrame:
    """One sheet of an xlsx/ods file as text with canonical column names."""
    _exists(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".ods"):
        raise reject(path, "un classeur Excel (.xlsx) ou OpenDocument (.ods)", "format non reconnu")
    try:
        book = pd.ExcelFile(path, engine="calamine")  # Rust reader: ~20x openpyxl/odfpy
    except Exception as exc:  # calamine raises its own errors on garbage or foreign formats
        raise reject(
            path, "un classeur Excel (.xlsx) ou OpenDocument (.ods) valide",
            f"fichier illisible ({type(exc).__name__})",
        ) from exc
    with book:
        names = [str(n) for n in book.sheet_names]
        if sheet not in names:
            raise reject(
                path, f"une feuille nommée « {sheet} »",
                f"feuille absente (feuilles présentes : {', '.join(names) or 'aucune'})",
            )
        df = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=[])
    df.columns = [str(c).strip() for c in df.columns]
    mapping = resolve_columns(list(df.columns), columns, path.name)
    df = df[list(mapping.values())].rename(columns={v: k for k, v in mapping.items()})
    return normalize_spreadsheet_text(df)
