"""The processing register: who did what to which data, append-only and hash-chained.

Every ingest, build, export, report batch, account change and purge calls :func:`record`. Each
entry carries the SHA-256 of its own content chained to the previous entry's hash, so editing
or deleting an entry breaks the chain and :func:`verify` reports it. A head row (last id and
hash) catches the deletion of the newest entries; on SQLite, triggers also refuse UPDATE and
DELETE outright. If an entry cannot be written, :func:`record` raises: a processing operation
without its register entry is not allowed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)

from workbench.access.database import engine

GENESIS = "0" * 64

metadata = MetaData()

entries = Table(
    "register_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("person", String(200), nullable=False),
    Column("operation", String(100), nullable=False),
    Column("data", Text, nullable=False),
    Column("rows", Integer, nullable=True),
    Column("outcome", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    sqlite_autoincrement=True,
)

head = Table(
    "register_head",
    metadata,
    Column("singleton", Integer, primary_key=True),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

_SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS register_no_update BEFORE UPDATE ON register_entries "
    "BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : modification interdite'); END",
    "CREATE TRIGGER IF NOT EXISTS register_no_delete BEFORE DELETE ON register_entries "
    "BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : suppression interdite'); END",
)

_READY: set[str] = set()


class RegisterError(RuntimeError):
    """The register could not be written: the operation it documents must not go ahead."""


def _ready(eng: Engine) -> Engine:
    key = str(eng.url)
    if key not in _READY:
        metadata.create_all(eng)
        if eng.dialect.name == "sqlite":
            with eng.begin() as conn:
                for ddl in _SQLITE_GUARDS:
                    conn.exec_driver_sql(ddl)
        _READY.add(key)
    return eng


def current_person() -> str:
    """The person acting: ``WORKBENCH_USER`` (set by the hub) or the operating-system user."""
    return os.environ.get("WORKBENCH_USER") or getpass.getuser()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def entry_hash(prev_hash: str, at: str, person: str, operation: str, data: str,
               rows: int | None, outcome: str) -> str:
    """SHA-256 over the previous hash and this entry's fields (canonical JSON)."""
    payload = _canonical([prev_hash, at, person, operation, data, rows, outcome])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    *,
    operation: str,
    data: dict[str, Any] | None = None,
    rows: int | None = None,
    outcome: str = "ok",
    person: str | None = None,
) -> int:
    """Append one entry and return its id; raise :class:`RegisterError` if it cannot be written."""
    if not operation:
        raise RegisterError("registre : l'opération doit être nommée")
    person = person or current_person()
    data_text = _canonical(data or {})
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    rows = None if rows is None else int(rows)
    try:
        eng = _ready(engine())
        with eng.begin() as conn:
            if eng.dialect.name == "postgresql":
                conn.execute(text("LOCK TABLE register_head IN EXCLUSIVE MODE"))
            last = conn.execute(
                select(entries.c.id, entries.c.hash).order_by(entries.c.id.desc()).limit(1)
            ).first()
            prev = last.hash if last is not None else GENESIS
            digest = entry_hash(prev, at, person, operation, data_text, rows, outcome)
            new_id = conn.execute(
                insert(entries).values(
                    at=at, person=person, operation=operation, data=data_text, rows=rows,
                    outcome=outcome, prev_hash=prev, hash=digest,
                )
            ).inserted_primary_key[0]
            moved = conn.execute(
                update(head).where(head.c.singleton == 1).values(last_id=new_id, last_hash=digest)
            ).rowcount
            if not moved:
                conn.execute(insert(head).values(singleton=1, last_id=new_id, last_hash=digest))
            return int(new_id)
    except RegisterError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure must stop the caller, loudly
        raise RegisterError(
            f"Impossible d'écrire au registre des traitements ({operation}) : {exc}. "
            "L'opération n'est pas autorisée sans inscription au registre."
        ) from exc


@dataclass
class Verification:
    """Result of :func:`verify`: ``ok`` is False as soon as one problem is found."""

    entries: int
    head_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> Verification:
    """Recompute the chain; report edited, deleted or re-ordered entries (French messages)."""
    eng = _ready(engine())
    problems: list[str] = []
    with eng.connect() as conn:
        rows = conn.execute(select(entries).order_by(entries.c.id)).all()
        anchor = conn.execute(select(head)).first()
    prev, prev_id = GENESIS, 0
    for r in rows:
        if r.id != prev_id + 1:
            problems.append(f"entrée(s) {prev_id + 1} à {r.id - 1} supprimée(s)")
        if r.prev_hash != prev:
            problems.append(f"entrée {r.id} : chaînage rompu (entrée précédente modifiée ou supprimée)")
        expected = entry_hash(r.prev_hash, r.at, r.person, r.operation, r.data, r.rows, r.outcome)
        if expected != r.hash:
            problems.append(f"entrée {r.id} : contenu modifié (empreinte invalide)")
        prev, prev_id = r.hash, r.id
    if anchor is None:
        if rows:
            problems.append("tête du registre absente")
    elif anchor.last_id != prev_id or anchor.last_hash != prev:
        problems.append(
            f"dernière(s) entrée(s) supprimée(s) ou modifiée(s) : la tête du registre désigne "
            f"l'entrée {anchor.last_id}, le registre s'arrête à l'entrée {prev_id}"
        )
    return Verification(entries=len(rows), head_hash=prev, problems=problems)


COLUMNS_FR = {
    "id": "N°",
    "at": "Date (UTC)",
    "person": "Personne",
    "operation": "Opération",
    "data": "Données concernées",
    "rows": "Lignes",
    "outcome": "Résultat",
    "prev_hash": "Empreinte précédente",
    "hash": "Empreinte",
}


def entries_frame():  # type: ignore[no-untyped-def]
    """All entries as a DataFrame with French headers (data expanded to readable text)."""
    import pandas as pd

    eng = _ready(engine())
    with eng.connect() as conn:
        df = pd.DataFrame(conn.execute(select(entries).order_by(entries.c.id)).mappings().all(),
                          columns=list(COLUMNS_FR))
    df["data"] = df["data"].map(
        lambda s: " ; ".join(f"{k} = {v}" for k, v in json.loads(s).items()) if s else ""
    )
    return df.rename(columns=COLUMNS_FR)


def export(path: Path) -> Path:
    """Write the register as an Excel workbook (one sheet, French headers)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    df = entries_frame()
    check = verify()
    summary = pd.DataFrame({
        "Élément": ["Exporté le (UTC)", "Entrées", "Chaînage intègre", "Empreinte de tête",
                    *[f"Anomalie {i}" for i in range(1, len(check.problems) + 1)]],
        "Valeur": [datetime.now(UTC).isoformat(timespec="seconds"), check.entries,
                   "oui" if check.ok else "NON", check.head_hash, *check.problems],
    })
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        df.to_excel(xl, sheet_name="Registre", index=False)
        sheet = xl.sheets["Registre"]
        for col, width in zip("ABCDEFGHI", (6, 28, 20, 16, 50, 10, 30, 18, 18), strict=True):
            sheet.column_dimensions[col].width = width
        sheet.freeze_panes = "A2"
        summary.to_excel(xl, sheet_name="Vérification", index=False)
        xl.sheets["Vérification"].column_dimensions["A"].width = 22
        xl.sheets["Vérification"].column_dimensions["B"].width = 70
    return path
