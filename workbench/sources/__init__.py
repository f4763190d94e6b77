"""Loaders of producers' files (RPLS, occupation, SNE attributions, geography) into the store.

Every check comes from the data dictionary; a rejected file raises ``SourceError`` (French
message naming file, line, column, value and what was expected) and loads nothing.
"""

from workbench.sources.errors import LoadWarning, Problem, SourceError

__all__ = ["LoadWarning", "Problem", "SourceError"]
