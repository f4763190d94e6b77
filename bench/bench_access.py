"""Cost of data protection: encrypted store I/O against plain Parquet, register throughput.

    .venv/bin/python bench/bench_access.py [--rows 1000000] [--entries 2000]

Runs in a temporary home; prints figures and writes bench/out/access.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "RPLS_ID": [f"{i:010d}" for i in range(rows)],
        "DEPCOM": rng.choice([f"59{n:03d}" for n in range(95)], rows),
        "NBPIECE": rng.integers(1, 7, rows),
        "SURFHAB": rng.normal(65, 15, rows).round(1),
        "LOYERPRINC": rng.normal(420, 90, rows).round(2),
        "FINAN": rng.choice(["PLAI", "PLUS", "PLS", "PLI"], rows),
    })


def _timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench_access_"))
    os.environ["WORKBENCH_HOME"] = str(home)
    os.environ.setdefault("WORKBENCH_USER", "bench")

    from workbench import register
    from workbench.store import MicrodataStore

    df = _frame(args.rows)
    store = MicrodataStore()
    store.write_vintage(2024, {"warmup": df.head(10)}, {})  # creates the demo study and key

    def plain_write() -> bytes:
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
        (home / "plain.parquet").write_bytes(buf.getvalue())
        return buf.getvalue()

    size = len(plain_write())
    results = {
        "rows": args.rows,
        "parquet_mb": round(size / 1e6, 1),
        "plain_write_s": _timed(plain_write),
        "encrypted_write_s": _timed(lambda: store.write_vintage(2024, {"logements": df}, {})),
        "plain_read_s": _timed(lambda: pq.read_table(home / "plain.parquet").to_pandas()),
        "encrypted_read_s": _timed(lambda: store.read(2024, "logements")),
    }
    t = time.perf_counter()
    for i in range(args.entries):
        register.record(operation="bench", data={"i": i}, rows=i, outcome="ok")
    results["register_entries_per_s"] = round(args.entries / (time.perf_counter() - t), 1)
    t = time.perf_counter()
    check = register.verify()
    results["verify_s"] = round(time.perf_counter() - t, 3)
    results["verify_entries"] = check.entries
    for key in ("plain_write_s", "encrypted_write_s", "plain_read_s", "encrypted_read_s"):
        results[key] = round(results[key], 3)
    for key, value in results.items():
        print(f"{key:>24} : {value}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "access.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
