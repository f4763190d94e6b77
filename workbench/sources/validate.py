"""Dictionary-driven checks: every rule comes from the column specs in ``data_dictionary/``.

Values arrive as text (CSV read with ``dtype=str``, spreadsheets converted to text) and leave
typed: strings and codes as text (missing = None), integers (checked whole) and numbers as
``float64`` with NaN for missing — the convention numpy-based consumers handle, where a
nullable ``Int64`` NA breaks ``np.where`` — dates as ``datetime64``, months as ``mm/aaaa`` text. Each failed check becomes a
``Problem`` naming the line as an editor shows it (header = line 1). Checks are vectorised so
that a 5-million-row file is validated in chunks at the speed of pandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.dictionary import Column
from workbench.sources.errors import MAX_SHOWN, Problem, SourceError, reject

STRING = pd.StringDtype("pyarrow")  # vectorised string checks (pyarrow compute kernels)

TYPE_LABELS = {
    "integer": "un nombre entier",
    "number": "un nombre",
    "date": "une date jj/mm/aaaa ou aaaa-mm-jj",
    "month": "un mois mm/aaaa",
}


@dataclass
class Checked:
    """Typed columns of a validated frame and the problems found (capped per column)."""

    frame: pd.DataFrame
    problems: list[Problem]
    total: int


def resolve_columns(
    header: Sequence[str], columns: Iterable[Column], file: str, what: str = "colonne"
) -> dict[str, str]:
    """Map canonical names to the file's header names (aliases accepted).

    Rejects a file that misses a required column, naming the expected column and its aliases.
    """
    present = {h.strip(): h for h in header}
    mapping: dict[str, str] = {}
    missing: list[Problem] = []
    for col in columns:
        found = next((present[n] for n in (col.name, *col.aliases) if n in present), None)
        if found is not None:
            mapping[col.name] = found
        elif col.required:
            names = " ou ".join(f"« {n} »" for n in (col.name, *col.aliases))
            missing.append(
                Problem(
                    file, 1, col.name, None,
                    f"une {what} {names} ({col.label})",
                    "colonne obligatoire absente de l'en-tête",
                )
            )
    if missing:
        raise SourceError(missing)
    return mapping


def check_separator(header_line: str, file: str, separator: str = ";") -> None:
    """Reject a CSV whose header shows another separator than the expected one."""
    if separator in header_line:
        return
    for other, name in ((",", "virgule"), ("\t", "tabulation"), ("|", "barre verticale")):
        if other in header_line:
            raise reject(
                file,
                f"des colonnes séparées par « {separator} » (point-virgule)",
                f"mauvais séparateur : l'en-tête est séparé par des {name}s",
                row=1,
                value=header_line[:80],
            )


def _problems(
    file: str, col: Column, rows: pd.Series, values: pd.Series, expected: str, message: str,
    out: list[Problem],
) -> int:
    n = int(len(rows))
    for row, value in zip(rows.iloc[:MAX_SHOWN], values.iloc[:MAX_SHOWN], strict=False):
        out.append(Problem(file, int(row), col.name, str(value), expected, message))
    return n


def _code_expected(col: Column) -> str:
    codes = list(col.codes or {})
    shown = ", ".join(codes[:12]) + (" …" if len(codes) > 12 else "")
    return f"un code de la liste {col.codes_name} ({shown})"


def _parse_dates(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    fr = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(fr)


def _normalize_month(text: pd.Series) -> pd.Series:
    """``mm/aaaa`` (RPLS collect format) or ``m/aaaa``, ``aaaa-mm`` to ``mm/aaaa``; else NA."""
    t = text.astype(STRING).str.strip()
    good = t.str.fullmatch(r"(0[1-9]|1[0-2])/\d{4}").fillna(False).astype(bool)
    out = t.where(good, pd.NA)
    rest = t[~good & t.notna()]
    if len(rest):  # rare spellings: the slow path only runs on them
        fr = rest.str.extract(r"^(\d{1,2})/(\d{4})$")
        iso = rest.str.extract(r"^(\d{4})-(\d{1,2})$")
        month = fr[0].fillna(iso[1])
        year = fr[1].fillna(iso[0])
        ok = pd.to_numeric(month, errors="coerce").between(1, 12)
        fixed = (month.str.zfill(2) + "/" + year).where(ok, pd.NA)
        out.loc[rest.index] = fixed.astype(STRING)
    return out


def check_frame(
    raw: pd.DataFrame,
    columns: Sequence[Column],
    file: str,
    first_line: int = 2,
    lines: pd.Series | None = None,
) -> Checked:
    """Validate and type the dictionary columns of ``raw`` (text, canonical names).

    ``first_line`` is the editor line of the first row (2 below a one-line header);
    ``lines`` overrides it with explicit line numbers. Uniqueness is checked within the frame
    only (see ``check_unique`` across chunks).
    """
    if lines is None:
        lines = pd.Series(np.arange(first_line, first_line + len(raw)), index=raw.index)
    out = pd.DataFrame(index=raw.index)
    problems: list[Problem] = []
    total = 0
    for col in columns:
        if col.name not in raw:
            continue
        text = raw[col.name].astype(STRING).str.strip()
        empty = text.isna() | (text == "")
        text = text.mask(empty, pd.NA)
        if col.required and empty.any():
            total += _problems(
                file, col, lines[empty], text[empty].fillna(""), f"une valeur ({col.label})",
                "valeur obligatoire manquante", problems,
            )
        present = ~empty
        if col.type in ("string", "code"):
            if col.type == "code":
                bad = present & ~text.isin(list(col.codes or {}))
                expected = _code_expected(col)
                message = "code inconnu"
            else:
                bad = pd.Series(False, index=text.index)
                if col.pattern:
                    matched = text.str.fullmatch(col.pattern)
                    bad = present & ~matched.fillna(False).astype(bool)
                expected = f"une valeur de la forme {col.pattern}"
                message = "valeur mal formée"
            if bad.any():
                total += _problems(file, col, lines[bad], text[bad], expected, message, problems)
            out[col.name] = text
        elif col.type in ("integer", "number"):
            num = _to_number(text)
            bad = present & num.isna()
            if col.type == "integer":
                bad |= present & num.notna() & (num != np.floor(num.fillna(0)))
            if bad.any():
                total += _problems(
                    file, col, lines[bad], text[bad], TYPE_LABELS[col.type], "valeur non numérique",
                    problems,
                )
            ok = present & ~bad
            low = ok & (num < col.min) if col.min is not None else pd.Series(False, index=num.index)
            high = ok & (num > col.max) if col.max is not None else pd.Series(False, index=num.index)
            out_of_range = low | high
            if out_of_range.any():
                bounds = f"une valeur entre {_fmt(col.min)} et {_fmt(col.max)}"
                total += _problems(
                    file, col, lines[out_of_range], text[out_of_range], bounds,
                    "valeur hors des bornes", problems,
                )
            num = num.where(ok)
            out[col.name] = num.astype(float)
        elif col.type == "date":
            parsed = _parse_dates(text)
            bad = present & parsed.isna()
            if bad.any():
                total += _problems(
                    file, col, lines[bad], text[bad], TYPE_LABELS["date"], "date invalide", problems
                )
            out[col.name] = parsed
        elif col.type == "month":
            month = _normalize_month(text)
            bad = present & month.isna()
            if bad.any():
                total += _problems(
                    file, col, lines[bad], text[bad], TYPE_LABELS["month"], "mois invalide", problems
                )
            out[col.name] = month
    return Checked(out, problems, total)


def _to_number(text: pd.Series) -> pd.Series:
    """Decimal point or comma; unparsable text becomes NaN (pyarrow cast, pandas on failure)."""
    dotted = text.astype(STRING).str.replace(",", ".", regex=False)
    try:
        arr = pc.cast(pa.array(dotted.array), pa.float64())
        return pd.Series(arr.to_numpy(zero_copy_only=False), index=text.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(dotted.astype(object), errors="coerce").astype(float)


def _fmt(x: float | None) -> str:
    if x is None:
        return "…"
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def duplicates(
    values: pd.Series, lines: pd.Series, file: str, col: Column
) -> tuple[list[Problem], int]:
    """Problems for each repeated non-empty value, naming the line of its first occurrence."""
    v = values.astype(STRING)
    keep = v.notna() & (v != "")
    v, lines = v[keep], lines[keep]
    dup = v.duplicated(keep="first")
    if not dup.any():
        return [], 0
    first_line = pd.Series(lines.to_numpy(), index=v.to_numpy())
    first_line = first_line[~first_line.index.duplicated(keep="first")]
    problems = []
    for row, value in zip(lines[dup].iloc[:MAX_SHOWN], v[dup].iloc[:MAX_SHOWN], strict=False):
        problems.append(
            Problem(
                file, int(row), col.name, str(value),
                f"un identifiant unique ({col.label})",
                f"identifiant en double (déjà présent ligne {int(first_line[value])})",
            )
        )
    return problems, int(dup.sum())


def plain_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns back to Python strings (missing = None), as the store's readers expect.

    Each distinct value becomes one shared Python object (factorize, then take), so a code
    column of 5 million rows costs 8 bytes a row instead of one string object a row.
    """
    for name in df.columns:
        if isinstance(df[name].dtype, pd.StringDtype):
            codes, uniques = pd.factorize(df[name], use_na_sentinel=True)
            pool = np.empty(len(uniques) + 1, dtype=object)
            pool[:-1] = [str(u) for u in uniques]
            pool[-1] = None
            df[name] = pool[codes]
    return df


def normalize_spreadsheet_text(df: pd.DataFrame) -> pd.DataFrame:
    """Spreadsheet cells read as text: ``3.0`` -> ``3`` (integers typed as numbers in Excel)."""
    out = df.copy()
    for name in out.columns:
        s = out[name]
        if s.dtype == object or str(s.dtype).startswith("string"):
            out[name] = s.astype(STRING).str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
    return out

