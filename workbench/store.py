"""The microdata store: validated microdata, one folder per vintage, replaced atomically.

Restricted: only the loaders write here and only the annual build reads it. Tables are
Parquet files; ``write_vintage`` builds the new folder beside the old one and swaps it in, so
a failed load never leaves a half-written vintage. Geography shared by all vintages lives in
the ``shared`` folder.

Encrypted at rest: ``_write_table`` and ``_read_table`` (the only byte I/O) encrypt every table
and the vintage metadata with AES-256-GCM under the key of the study the data is loaded for
(``workbench.studies``; ``WORKBENCH_STUDY`` or the ``study`` argument names it). Reading checks
that the study is current and the person habilitated; without the key nothing is readable.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench import crypto
from workbench.config import paths

SHARED = "shared"
SUFFIX = ".parquet.aes"
META = "meta.json.aes"


class MicrodataStore:
    """A folder of vintages of encrypted microdata (``<root>/<vintage>/<table>.parquet.aes``)."""

    def __init__(self, root: Path | None = None, study: str | None = None) -> None:
        self.root = Path(root) if root is not None else paths().store
        self.study = study or os.environ.get("WORKBENCH_STUDY") or None
        self._key_id: str | None = None

    # -- primitives (the only places bytes are read or written) -------------------------
    def _writing_key(self) -> str:
        if self._key_id is None:
            from workbench.studies import for_writing

            self._key_id = for_writing(self.study).key_id
        return self._key_id

    def _encrypt_to(self, path: Path, data: bytes, context: str) -> None:
        path.write_bytes(crypto.encrypt(data, self._writing_key(), context))

    def _decrypt_from(self, path: Path, context: str) -> bytes:
        from workbench.studies import check_readable

        blob = path.read_bytes()
        check_readable(crypto.key_id_of(blob))
        return crypto.decrypt(blob, context)

    def _write_table(self, folder: Path, name: str, df: pd.DataFrame) -> None:
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
        self._encrypt_to(folder / f"{name}{SUFFIX}", buf.getvalue(), name)

    def _read_table(self, folder: Path, name: str) -> pd.DataFrame:
        path = folder / f"{name}{SUFFIX}"
        if not path.exists():
            if (folder / f"{name}.parquet").exists():
                raise KeyError(
                    f"table « {name} » stockée en clair par une version antérieure : "
                    "rechargez les sources (workbench load) pour la chiffrer"
                )
            raise KeyError(f"table « {name} » absente du magasin ({folder.name})")
        return pq.read_table(io.BytesIO(self._decrypt_from(path, name))).to_pandas()

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
            self._encrypt_to(
                tmp / META,
                json.dumps(dict(meta), ensure_ascii=False, indent=2, default=str).encode("utf-8"),
                "meta",
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
        return (self._folder(vintage) / f"{name}{SUFFIX}").exists()

    def meta(self, vintage: int | str) -> dict[str, Any]:
        path = self._folder(vintage) / META
        return json.loads(self._decrypt_from(path, "meta")) if path.exists() else {}

    def vintages(self) -> list[int]:
        if not self.root.exists():
            return []
        return sorted(int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit())

    def delete_vintage(self, vintage: int | str) -> None:
        shutil.rmtree(self._folder(vintage), ignore_errors=True)

    def folders_of_key(self, key_id: str) -> list[Path]:
        """Every folder (vintages, shared, leftovers of failed writes) holding data of a key."""
        if not self.root.exists():
            return []
        found = []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for f in folder.glob("*.aes"):
                with open(f, "rb") as fh:
                    head = fh.read(crypto.HEADER_BYTES)
                if head.startswith(crypto.MAGIC) and crypto.key_id_of(head) == key_id:
                    found.append(folder)
                    break
        return found
