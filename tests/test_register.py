"""The processing register: chained entries, tampering detected, loud failure, Excel export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pytest

from workbench import register


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "analyste.test")
    return tmp_path


def _db(home: Path) -> Path:
    return home / "state" / "workbench.sqlite"


def _fill(n: int = 5) -> None:
    for i in range(n):
        register.record(operation="build", data={"vintage": 2020 + i, "theme": "parc"},
                        rows=100 * i, outcome="ok")


def test_entries_are_chained_and_verify(home: Path) -> None:
    _fill()
    check = register.verify()
    assert check.ok, check.problems
    assert check.entries == 5
    con = sqlite3.connect(_db(home))
    rows = con.execute("SELECT prev_hash, hash, person, data FROM register_entries ORDER BY id").fetchall()
    assert rows[0][0] == register.GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after[0] == before[1]
    assert rows[0][2] == "analyste.test"
    assert '"vintage":2020' in rows[0][3]
    assert check.head_hash == rows[-1][1]


def test_update_and_delete_refused_by_database(home: Path) -> None:
    _fill(2)
    con = sqlite3.connect(_db(home))
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        con.execute("UPDATE register_entries SET rows = 0 WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        con.execute("DELETE FROM register_entries WHERE id = 1")


def _tamper(home: Path, *sql: str) -> None:
    """What an intruder with file access does: drop the guards, then edit."""
    con = sqlite3.connect(_db(home))
    con.execute("DROP TRIGGER register_no_update")
    con.execute("DROP TRIGGER register_no_delete")
    for s in sql:
        con.execute(s)
    con.commit()
    con.close()


def test_edited_entry_detected(home: Path) -> None:
    _fill()
    _tamper(home, "UPDATE register_entries SET rows = 7 WHERE id = 3")
    check = register.verify()
    assert not check.ok
    assert any("entrée 3" in p and "modifié" in p for p in check.problems)


def test_deleted_middle_entry_detected(home: Path) -> None:
    _fill()
    _tamper(home, "DELETE FROM register_entries WHERE id = 2")
    check = register.verify()
    assert not check.ok
    assert any("supprimée" in p for p in check.problems)


def test_deleted_last_entry_detected(home: Path) -> None:
    _fill()
    _tamper(home, "DELETE FROM register_entries WHERE id = 5")
    assert not register.verify().ok


def test_edited_last_entry_detected(home: Path) -> None:
    _fill(3)
    _tamper(home, "UPDATE register_entries SET outcome = 'refusé' WHERE id = 3")
    problems = register.verify().problems
    assert any("entrée 3" in p for p in problems)


def test_record_fails_loudly_when_register_unwritable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{home / 'missing' / 'dir' / 'x.sqlite'}")
    with pytest.raises(register.RegisterError, match="registre des traitements"):
        register.record(operation="export", data={"vintage": 2024}, rows=1, outcome="ok")


def test_export_excel(home: Path, tmp_path: Path) -> None:
    _fill(3)
    register.record(operation="purge", data={"study": "étude A"}, rows=None, outcome="détruit",
                    person="admin.mel")
    out = register.export(tmp_path / "registre.xlsx")
    sheet = openpyxl.load_workbook(out)["Registre"]
    values = list(sheet.values)
    assert values[0][:3] == ("N°", "Date (UTC)", "Personne")
    assert len(values) == 5
    assert values[-1][2] == "admin.mel"
    assert values[-1][3] == "purge"
    assert "étude A" in values[-1][4]
    summary = dict(openpyxl.load_workbook(out)["Vérification"].values)
    assert summary["Entrées"] == 4 and summary["Chaînage intègre"] == "oui"


def test_export_flags_a_tampered_register(home: Path, tmp_path: Path) -> None:
    _fill(3)
    _tamper(home, "DELETE FROM register_entries WHERE id = 2")
    summary = dict(openpyxl.load_workbook(register.export(tmp_path / "r.xlsx"))["Vérification"].values)
    assert summary["Chaînage intègre"] == "NON"
    assert "supprimée" in summary["Anomalie 1"]


def _append_many(home: str, n: int, start) -> None:  # type: ignore[no-untyped-def]
    import os

    os.environ["WORKBENCH_HOME"] = home
    start.wait()  # all writers open the fresh database file at the same moment
    for i in range(n):
        register.record(operation="ingest", data={"i": i}, rows=i, outcome="ok")


def test_concurrent_writers_keep_one_chain(home: Path) -> None:
    """Writers starting together on a new file must neither fail nor fork the chain.

    The first connections race to switch the file to WAL; that switch ignores busy_timeout.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    procs = [ctx.Process(target=_append_many, args=(str(home), 10, start)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    check = register.verify()
    assert check.entries == 40
    assert check.ok, check.problems
