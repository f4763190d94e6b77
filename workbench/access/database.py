"""The workbench database (accounts, organisations, studies, processing register).

SQLite under ``paths().state`` by default so that a demo needs no server; a deployment points
``WORKBENCH_DB_URL`` at PostgreSQL. Engines are cached per URL because tests switch homes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from sqlalchemy import Engine, MetaData, create_engine, event

from workbench.config import paths

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def database_url() -> str:
    """The URL of the workbench database (``WORKBENCH_DB_URL`` wins over the SQLite default)."""
    url = os.environ.get("WORKBENCH_DB_URL")
    if url:
        return url
    state = paths().state
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / 'workbench.sqlite'}"


def engine(url: str | None = None) -> Engine:
    """A shared engine; SQLite transactions take the write lock at BEGIN (serialised appends)."""
    url = url or database_url()
    with _LOCK:
        eng = _ENGINES.get(url)
        if eng is None:
            eng = create_engine(url, future=True)
            if eng.dialect.name == "sqlite":
                _immediate_transactions(eng)
            _ENGINES[url] = eng
        return eng


def _immediate_transactions(eng: Engine) -> None:
    # pysqlite's own BEGIN is deferred; two processes could then read the same chain head.
    @event.listens_for(eng, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")
        _write_ahead_log(dbapi_connection)
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(eng, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _write_ahead_log(dbapi_connection, wait: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Switch a new database file to WAL; the switch ignores busy_timeout, so retry it here.

    Two processes opening a fresh file at once race for that switch and the loser gets "database
    is locked" at once (seen in CI). Once the file is in WAL mode the switch is a no-op.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_CREATED: set[tuple[str, int]] = set()


def ready(metadata: MetaData) -> Engine:
    """The engine, with the tables of ``metadata`` created once per database per process."""
    eng = engine()
    key = (str(eng.url), id(metadata))
    if key not in _CREATED:
        metadata.create_all(eng)
        _CREATED.add(key)
    return eng
