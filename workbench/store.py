"""The microdata store: validated microdata, one folder per vintage, replaced atomically.

Restricted: only the loaders write here and only the annual build reads it. Tables are
Parquet files; ``write_vintage`` builds the new folder beside the old one and swaps it in, so
a failed load never leaves a half-written vintage. Geography shared by all vintages lives in
the ``shared`` folder. (Encryption at rest and purge are layered on the same two primitives,
``_write_table`` and ``_read_table``.)
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.config import paths

SHARED = "shared"


class MicrodataStore:
    """A folder of vintages of microdata (``<root>/<vintage>/<table>.parquet``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths().store

    # -- primitives (the only places bytes are read or written) -------------------------
    def _write_table(self, folder: Path, name: str, df: pd.DataFrame) -> None:
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
        (folder / f"{name}.parquet").write_bytes(buf.getvalue())

    def _read_table(self, folder: Path, name: str) -> pd.DataFrame:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise KeyError(f"table « {name} » absente du magasin ({folder.name})")
        return pq.read_table(io.BytesIO(path.read_bytes())).to_pandas()

    # -- vintages ----------------------------------------------------------------------
    def _folder(self, vintage: int | str) -> Path:
        return self.root / str(vintage)

    def write_vintage(
        self, vintage: int | str, tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]
    ) -> None:
        """Write every table of a vintage, then swap the folder in (all or nothing)."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".tmp-{vintage}-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            for name, df in tables.items():
                self._write_table(tmp, name, df)
            (tmp / "meta.json").write_text(
                json.dumps(dict(meta), ensure_ascii=False, indent=2, default=str),
                encoding="utf-8",
            )
            target = self._folder(vintage)
            old = None
            if target.exists():
                old = self.root / f".old-{vintage}-{uuid.uuid4().hex}"
                target.rename(old)
            tmp.rename(target)
            if old is not None:
                shutil.rmtree(old)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def read(self, vintage: int | str, name: str) -> pd.DataFrame:
        return self._read_table(self._folder(vintage), name)

    def has(self, vintage: int | str, name: str) -> bool:
        return (self._folder(vintage) / f"{name}.parquet").exists()

    def meta(self, vintage: int | str) -> dict[str, Any]:
        path = self._folder(vintage) / "meta.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def vintages(self) -> list[int]:
        if not self.root.exists():
            return []
        return sorted(int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit())

    def delete_vintage(self, vintage: int | str) -> None:
        shutil.rmtree(self._folder(vintage), ignore_errors=True)
