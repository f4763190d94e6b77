"""Statistical secrecy: primary rules, secondary suppression and the attacker's audit.

API (stable; the build and the benches use it):

- ``CellTable(values, constraints, primary, cost=None, upper=None, virtual=None,
  population=None, known=None)`` — counts with additivity constraints ``A @ values == 0``
  (one row per ``total = sum(parts)``, built with ``constraint_rows(totals, parts, n)``);
  ``primary`` holds "" or the primary reason per cell.
- ``Geography(areas[area_id, scale], atoms, membership[area_id, atom_id])`` and
  ``build_table(...)`` — the sparse constraints of nested and crossing geographies.
- ``primary_statuses(...)`` — rules 1–4 with the reason per cell.
- ``protect(table, protection=3, threshold=11)`` → ``Protection`` (``withheld`` mask,
  ``status`` per cell, ``audit`` report); raises ``SecrecyError`` when the audit still finds a
  disclosure.
- ``audit(table, withheld, protection=3, threshold=11)`` → ``AuditReport`` (``ok``,
  ``disclosures`` DataFrame[cell, value, lower, upper, kind]) — written apart from ``protect``.
- ``Rules`` — thresholds from the data dictionary.
"""

from workbench.secrecy.audit import AuditReport, audit
from workbench.secrecy.hierarchy import Geography, build_table
from workbench.secrecy.primary import primary_statuses
from workbench.secrecy.rules import Rules
from workbench.secrecy.secondary import Protection, SecrecyError, protect
from workbench.secrecy.table import CellTable, constraint_rows

__all__ = [
    "AuditReport", "CellTable", "Geography", "Protection", "Rules", "SecrecyError", "audit",
    "build_table", "constraint_rows", "primary_statuses", "protect",
]
