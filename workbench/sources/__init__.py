"""Loaders of producers' files (RPLS, occupation, SNE attributions, geography) into the store.

Every check comes from the data dictionary; a rejected file raises ``SourceError`` (French
message naming file, line, column, value and what was expected) and loads nothing.
``load_all``, ``load_vintage`` and the summaries are imported lazily so that the command
line's help does not pay for pandas and GDAL.
"""

from __future__ import annotations

from typing import Any

from workbench.sources.errors import LoadWarning, Problem, SourceError

_LAZY = {"load_all", "load_vintage", "load_geography", "LoadSummary", "VintageSummary",
         "GeographySummary", "available_vintages"}

__all__ = ["LoadWarning", "Problem", "SourceError", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from workbench.sources import load

        return getattr(load, name)
    raise AttributeError(name)
