"""Rejections and warnings raised while reading producers' files.

A rejected file (``SourceError``) loads nothing; a tolerable problem (``LoadWarning``) is
counted in the load summary. Both speak French to the person who must fix the file: which
file, which line as a spreadsheet or text editor shows it, which column, which value, and what
was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_SHOWN = 20


@dataclass(frozen=True)
class Problem:
    """One reason to reject a file (``row`` is 1-based, header included, or None)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    message: str = ""

    def describe(self) -> str:
        parts = [f"fichier « {self.file} »"]
        if self.row is not None:
            parts.append(f"ligne {self.row}")
        if self.column:
            parts.append(f"colonne « {self.column} »")
        where = ", ".join(parts)
        what = self.message or "valeur invalide"
        value = "" if self.value is None else f" : valeur « {_short(self.value)} »"
        return f"{where}{value} — {what} ; attendu : {self.expected}"


def _short(value: str, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class SourceError(ValueError):
    """A producer's file is rejected: nothing of it is loaded.

    Carries the first problem's ``file, row, column, value, expected`` and every problem in
    ``problems`` (the message shows at most 20 of them).
    """

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        if not problems:
            raise ValueError("SourceError needs at least one problem")
        self.problems = list(problems)
        self.total = max(total or 0, len(self.problems))
        first = self.problems[0]
        self.file, self.row, self.column = first.file, first.row, first.column
        self.value, self.expected = first.value, first.expected
        super().__init__(self._message())

    def _message(self) -> str:
        n = self.total
        head = (
            f"Fichier rejeté « {self.file} » : {n} problème{'s' if n > 1 else ''} "
            "(rien n'a été chargé)."
        )
        lines = [head, *(f"  - {p.describe()}" for p in self.problems[:MAX_SHOWN])]
        if n > MAX_SHOWN:
            lines.append(f"  … et {n - MAX_SHOWN} autre(s) problème(s).")
        return "\n".join(lines)


def reject(
    file: str | Path,
    expected: str,
    message: str,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> SourceError:
    """A SourceError with a single problem (for file-level faults)."""
    name = Path(file).name if isinstance(file, Path) else str(file)
    return SourceError([Problem(name, row, column, value, expected, message)])


@dataclass
class LoadWarning:
    """A tolerable problem, counted in the summary (``examples``: first offending ids)."""

    file: str
    kind: str
    message: str
    count: int
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        ex = f" (ex. : {', '.join(self.examples[:5])})" if self.examples else ""
        return f"{self.file} : {self.message} — {self.count} ligne(s){ex}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind,
            "message": self.message,
            "count": self.count,
            "examples": self.examples[:10],
        }
