"""Nothing downstream of the published base may reach the microdata or the secrecy engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workbench.config import PROJECT_ROOT

FORBIDDEN = ("workbench.store", "workbench.sources", "workbench.secrecy",
             "workbench.secrecy_adapter", "workbench.build")
FACES = ["published", "tables", "charts", "maps", "panels", "export", "fiche"]


def _imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _forbidden(names: set[str]) -> set[str]:
    return {n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)}


@pytest.mark.parametrize("module", FACES)
def test_face_modules_do_not_import_the_store(module):
    path = PROJECT_ROOT / "workbench" / f"{module}.py"
    if not path.exists():
        pytest.fail(f"module manquant : {path}")
    assert not _forbidden(_imports(path.read_text("utf-8")))


def test_notebooks_do_not_import_the_store():
    import nbformat

    books = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
    assert books, "aucun notebook"
    for book in books:
        nb = nbformat.read(book, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert not _forbidden(_imports(code)), book.name


def test_faces_import_chain_stays_clean():
    """Importing the faces in a fresh interpreter loads none of the forbidden modules."""
    import subprocess
    import sys

    code = ("import sys\nimport " + ", ".join(f"workbench.{m}" for m in FACES) +
            "\nprint('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(PROJECT_ROOT)).stdout.split()
    assert not _forbidden(set(out))
