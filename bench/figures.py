"""Figures of the benches, kept in bench/out/ across runs."""

from __future__ import annotations

import json
from pathlib import Path


def merge_figures(path: Path, rows: list[dict], key: str) -> None:
    """Write ``rows`` into the JSON list at ``path``, replacing the rows of the same ``key``
    (a run of one case or theme keeps the figures of the others)."""
    kept = json.loads(path.read_text()) if path.exists() else []
    mine = {r[key] for r in rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r for r in kept if r[key] not in mine] + rows, ensure_ascii=False, indent=2))
