"""Benchmark of the RPLS loader at scale (issue 2): rows per second and peak memory.

Writes a synthetic RPLS CSV (2025-style names, version loi columns, mixed EPSG) of N rows into a
temporary folder, then reads it with ``read_rpls`` in a child process and prints wall time and
peak RSS. The national file has ~5.4 M rows.

    .venv/bin/python bench/bench_sources_load.py --rows 1000000
    .venv/bin/python bench/bench_sources_load.py --rows 5400000     # national size (long)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

CHILD = """
import sys, time, resource
from pathlib import Path
from workbench.sources.rpls import read_rpls
t = time.perf_counter()
r = read_rpls(Path(sys.argv[1]))
print(f"{len(r.logements)} {len(r.residences)} {time.perf_counter() - t:.2f}")
"""


def synthetic_rpls(path: Path, rows: int, seed: int = 1) -> None:
    """A plausible national-like file: ~10 dwellings per address, 5 % of rows in EPSG 4326."""
    rng = np.random.default_rng(seed)
    block = 1_000_000
    written = 0
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        while written < rows:
            n = min(block, rows - written)
            idx = np.arange(written, written + n)
            addr = idx // 10
            commune = 59000 + (addr % 600)
            x = 650_000 + (addr % 997) * 100.0 + rng.random(n)
            y = 7_000_000 + (addr % 991) * 100.0 + rng.random(n)
            wgs = rng.random(n) < 0.05
            epsg = np.where(wgs, "4326", "2154")
            cols = {
                "IDENT_REP": np.char.zfill(idx.astype(str), 10),
                "DEPCOM": commune.astype(str),
                "LIBCOM": np.full(n, "Commune"),
                "NUMVOIE": (addr % 200 + 1).astype(str),
                "TYPVOIE": np.full(n, "RUE"),
                "NOMVOIE": np.char.add("des Tilleuls ", (addr % 5000).astype(str)),
                "TYPECONST": rng.choice(["C", "I", "E"], n, p=[0.8, 0.18, 0.02]),
                "NBPIECE": rng.integers(1, 7, n).astype(str),
                "SURFHAB": np.round(rng.uniform(18, 120, n), 1).astype(str),
                "CONSTRUCT": rng.integers(1950, 2024, n).astype(str),
                "LOCAT": rng.integers(1960, 2024, n).astype(str),
                "FINAN": rng.choice(["10", "13", "14", "52", "99"], n),
                "DPEENERGIE": rng.choice(["A", "B", "C", "D", "E", "F", "G", ""], n),
                "PLG_QP24": np.where(rng.random(n) < 0.2, "QN05901M", "HZ"),
                "PLG_IRIS2024_CODE": np.char.add(commune.astype(str), np.char.zfill((addr % 30).astype(str), 4)),
                "EPSG": epsg,
                "X": np.where(wgs, "3.0601", x.round(1).astype(str)),
                "Y": np.where(wgs, "50.6301", y.round(1).astype(str)),
                "RS": rng.choice(["Bailleur A", "Bailleur B", "Bailleur C"], n),
                "MODE": rng.choice(["1", "2", "3"], n, p=[0.95, 0.03, 0.02]),
                "DUREEVAC": np.where(rng.random(n) < 0.03, "4", ""),
                "BAIL": np.char.add("03/", rng.integers(1990, 2024, n).astype(str)),
                "LOYERPRINC": np.round(rng.uniform(200, 800, n), 2).astype(str),
                "CONTRESLOG": rng.choice(["1", "3", "4", "7"], n),
            }
            table = pa.table({k: pa.array(v) for k, v in cols.items()})
            if writer is None:
                writer = pacsv.CSVWriter(
                    sink, table.schema,
                    write_options=pacsv.WriteOptions(delimiter=";", quoting_style="all_valid"),
                )
            writer.write_table(table)
            written += n
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rpls_2025.csv"
        t = time.perf_counter()
        synthetic_rpls(path, args.rows)
        size = path.stat().st_size / 1e9
        print(f"fichier synthétique : {args.rows:,} lignes, {size:.2f} Go, "
              f"écrit en {time.perf_counter() - t:.1f} s")
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - t
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1e6
        cpu = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
        rows, res, seconds = out.stdout.split()
        print(f"read_rpls : {int(rows):,} logements, {int(res):,} résidences, {float(seconds):.1f} s "
              f"({int(rows) / float(seconds):,.0f} lignes/s), processus {wall:.1f} s dont "
              f"{cpu:.1f} s de calcul (machine partagée : le temps réel peut dépasser le calcul), "
              f"pic mémoire {peak:.2f} Go")


if __name__ == "__main__":
    main()
