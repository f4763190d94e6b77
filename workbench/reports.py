"""Annual reports in batch: one papermill run per territory, rendered as clean HTML (and PDF).

A batch is planned from the published base (territories of a scale in ``areas.parquet``),
executed by a local pool of spawned worker processes or fanned out on a Dask cluster, and
written into a dated folder with an index page. Every report is content-addressed by the hash
of its inputs (published base checksums, notebook, parameters, format), so a re-run only
executes what changed. Each report runs in its own fresh kernel; local workers pre-start the
kernel of their next report while the current one executes, which hides kernel start-up
without ever sharing a kernel between two reports.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import html
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import NOTEBOOKS_DIR, paths, source_mention

#: Bump when the rendering changes, so that cached reports are rebuilt.
RENDER_VERSION = 1

NOTEBOOKS: dict[str, str] = {
    "diagnostic": "diagnostic.ipynb",
    "attributions": "attributions_ciet.ipynb",
    "fiche": "fiche_residence.ipynb",
}
KIND_TITLES: dict[str, str] = {
    "diagnostic": "Diagnostic territorial",
    "attributions": "Suivi des attributions (CIET)",
    "fiche": "Fiche résidence",
}
SCALES: tuple[str, ...] = ("commune", "qpv", "epci")
SCALE_LABELS: dict[str, str] = {"commune": "communes", "qpv": "quartiers prioritaires", "epci": "EPCI"}
FORMATS: tuple[str, ...] = ("html", "pdf")
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")


class ReportError(Exception):
    """A batch that cannot be planned (French message for the user)."""


@dataclass(frozen=True)
class ReportJob:
    """One report to produce: a notebook, its parameters and where its output goes."""

    kind: str
    vintage: int
    scale: str
    territory: str
    name: str
    notebook: str
    parameters: dict[str, Any]
    fmt: str
    key: str  # hash of every input: same key, same report
    cache_dir: str
    home: str

    @property
    def stem(self) -> str:
        base = self.parameters.get("residence_id") or self.territory
        return f"{self.kind}_{self.scale}_{base}".replace("/", "-")


@dataclass
class ReportResult:
    """What happened to one report (timings in seconds)."""

    job: ReportJob
    status: str  # "ok", "skipped" (unchanged, taken from the cache) or "failed"
    error: str = ""
    kernel_start: float = 0.0
    execution: float = 0.0
    render: float = 0.0
    total: float = 0.0
    cpu: float = 0.0  # CPU seconds of its kernel (start-up included) and of its worker
    files: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    """A finished batch: its folder, index page and per-report results."""

    folder: Path
    index: Path
    results: list[ReportResult]
    seconds: float

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def executed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "ok"]

    @property
    def skipped(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "skipped"]


# --------------------------------------------------------------------------- planning


def _published_folder(vintage: int) -> Path:
    folder = paths().published / str(vintage)
    if not (folder / "manifest.json").exists():
        available = sorted(p.name for p in paths().published.glob("*") if p.is_dir())
        raise ReportError(
            f"Aucune base publiée pour le millésime {vintage} "
            f"(millésimes publiés : {', '.join(available) or 'aucun'})."
        )
    return folder


def _base_fingerprint(folder: Path) -> str:
    """The published base's identity: its manifest checksums (the files if none are listed)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    checksums = manifest.get("checksums") or {
        name: _sha256_file(folder / name) for name in ("indicators.parquet", "areas.parquet")
    }
    return json.dumps(checksums, sort_keys=True)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _areas(folder: Path):
    """Area identities only (no geometry): a report plan needs codes, names and parents."""
    import pyarrow.parquet as pq

    columns = ["area_id", "scale", "name", "epci", "commune", "qpv"]
    return pq.read_table(folder / "areas.parquet", columns=columns).to_pandas()


def plan_batch(
    vintage: int,
    kind: str = "diagnostic",
    scale: str = "commune",
    only: Sequence[str] | None = None,
    fmt: str = "html",
    notebook: Path | None = None,
) -> list[ReportJob]:
    """List the reports of a batch, each with the hash of its inputs."""
    if kind not in NOTEBOOKS:
        raise ReportError(f"Type de rapport inconnu « {kind} » (choix : {', '.join(NOTEBOOKS)}).")
    if scale not in SCALES:
        raise ReportError(f"Échelle inconnue « {scale} » (choix : {', '.join(SCALES)}).")
    if fmt not in FORMATS:
        raise ReportError(f"Format inconnu « {fmt} » (choix : {', '.join(FORMATS)}).")
    nb_path = Path(notebook) if notebook else NOTEBOOKS_DIR / NOTEBOOKS[kind]
    if not nb_path.exists():
        raise ReportError(f"Carnet introuvable : {nb_path}.")
    folder = _published_folder(vintage)
    areas = _areas(folder)
    territories = areas[areas["scale"] == scale].sort_values("area_id")
    if only:
        wanted = [str(code) for code in only]
        unknown = sorted(set(wanted) - set(territories["area_id"]))
        if unknown:
            raise ReportError(
                f"Territoire(s) inconnu(s) à l'échelle {scale} en {vintage} : {', '.join(unknown)}."
            )
        territories = territories[territories["area_id"].isin(wanted)]
    if territories.empty:
        raise ReportError(f"Aucun territoire à l'échelle {scale} dans la base publiée {vintage}.")

    base = _base_fingerprint(folder)
    notebook_hash = _sha256_file(nb_path)
    cache_dir = paths().reports / ".cache"
    home = str(paths().home)
    mention = source_mention()
    jobs: list[ReportJob] = []
    for row in territories.itertuples(index=False):
        targets: list[tuple[str | None, str]] = [(None, row.name)]
        if kind == "fiche":
            residences = areas[(areas["scale"] == "residence") & (areas[scale] == row.area_id)]
            targets = [(r.area_id, r.name) for r in residences.sort_values("area_id").itertuples()]
        for residence_id, name in targets:
            params = {
                "vintage": int(vintage),
                "territory": str(row.area_id),
                "scale": scale,
                "residence_id": residence_id,
            }
            key_source = json.dumps(
                [RENDER_VERSION, base, notebook_hash, params, fmt, mention], sort_keys=True
            )
            jobs.append(
                ReportJob(
                    kind=kind, vintage=int(vintage), scale=scale, territory=str(row.area_id),
                    name=str(name), notebook=str(nb_path.resolve()), parameters=params, fmt=fmt,
                    key=hashlib.sha256(key_source.encode()).hexdigest()[:32],
                    cache_dir=str(cache_dir), home=home,
                )
            )
    return jobs


# --------------------------------------------------------------------------- one report

_SPARE_KERNEL: dict[str, Any] = {}


def _start_kernel(kernel_name: str, cwd: str):
    """Launch a fresh kernel (returns as soon as the process is spawned).

    The kernel's own console chatter goes to a log file, not the batch's terminal; errors in
    the notebook still reach the report through the kernel's messages.
    """
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=kernel_name)
    log = paths().reports / "kernels.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as stderr:
        km.start_kernel(cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
    return km


#: Run silently in a pre-started kernel while the previous report executes: the libraries the
#: notebooks import and the (read-only, checksummed) published base they read. The kernel stays
#: fresh and serves one report only; the user namespace is left empty and no output is kept.
WARMUP = """
def _wb_warmup(vintage):
    import importlib
    for name in ("pandas", "geopandas", "plotly.graph_objects", "plotly.io",
                 "workbench.dictionary", "workbench.published", "workbench.tables",
                 "workbench.charts", "workbench.maps"):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    try:
        from workbench.dictionary import dictionary
        from workbench.published import PublishedBase
        dictionary()
        base = PublishedBase()
        base.indicators(vintage)
        base.areas(vintage)
        base.manifest(vintage)
    except Exception:
        pass
_wb_warmup({vintage!r})
del _wb_warmup
"""


def _shutdown_spare() -> None:
    kc = _SPARE_KERNEL.pop("kc", None)
    if kc is not None:
        kc.stop_channels()
    km = _SPARE_KERNEL.pop("km", None)
    if km is not None:
        try:
            km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - best effort at process exit
            pass
    _SPARE_KERNEL.clear()


atexit.register(_shutdown_spare)


def _take_kernel(kernel_name: str, cwd: str, prestart: bool, warmup: str | None = None):
    """A never-used kernel for this report; pre-start (and warm) the next one meanwhile."""
    wanted = (kernel_name, cwd, warmup)
    if _SPARE_KERNEL and _SPARE_KERNEL.get("spec") != wanted:
        _shutdown_spare()
    spare = _SPARE_KERNEL.pop("km", None)
    kc = _SPARE_KERNEL.pop("kc", None)
    if kc is not None:
        kc.stop_channels()  # the warm-up request was sent long ago; the kernel runs it in order
    km = spare if spare is not None else _start_kernel(kernel_name, cwd)
    if prestart:
        nxt = _start_kernel(kernel_name, cwd)
        _SPARE_KERNEL.update(km=nxt, spec=wanted)
        if warmup:
            kc = nxt.client()
            kc.start_channels()
            kc.execute(warmup, silent=True, store_history=False)
            _SPARE_KERNEL["kc"] = kc
    return km


def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        return f"{ename} : {getattr(exc, 'evalue', '')}".strip()
    return f"{type(exc).__name__} : {exc}"


def _add_source_cell(nb) -> None:
    """The mandatory source mention, as a last cell unless the notebook already printed it."""
    import nbformat

    mention = source_mention()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts = [output.get("text", ""), data.get("text/markdown", ""), data.get("text/html", "")]
            if any(mention in ("".join(t) if isinstance(t, list) else t) for t in texts):
                return
    nb.cells.append(nbformat.v4.new_markdown_cell(f"---\n\n*{mention}*"))


def render_html(nb, title: str) -> str:
    """Static HTML with the code hidden (nbconvert, lab template)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_anchor_links = True
    exporter.embed_images = True  # one self-contained file per report
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body


def html_to_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> None:
    """Print an HTML report to PDF with the headless Debian Chromium (no LaTeX needed)."""
    with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
        cmd = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={profile}",
            "--virtual-time-budget=10000", f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"Chromium n'a pas produit le PDF : {proc.stderr.strip()[-400:]}")


def run_report(job: ReportJob, prestart: bool = False, warm: bool = True) -> ReportResult:
    """Execute one report in a fresh kernel and render it into the cache (never raises)."""
    import nbformat
    import papermill

    os.environ["WORKBENCH_HOME"] = job.home
    started = time.perf_counter()
    cpu_started = time.process_time()
    result = ReportResult(job=job, status="failed")
    cache = Path(job.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    executed = cache / f"{job.key}.ipynb"
    cwd = str(Path(job.notebook).parent)
    km = None
    try:
        nb_in = nbformat.read(job.notebook, as_version=4)
        kernel_name = nb_in.metadata.get("kernelspec", {}).get("name", "python3")
        t0 = time.perf_counter()
        warmup = WARMUP.format(vintage=job.vintage) if warm else None
        km = _take_kernel(kernel_name, cwd, prestart, warmup)
        try:
            nb = papermill.execute_notebook(
                job.notebook, str(executed), parameters=job.parameters, km=km,
                kernel_name=kernel_name, cwd=cwd, progress_bar=False, log_output=False,
                start_timeout=120,
            )
        finally:
            result.kernel_start, result.execution = _split_timings(executed, t0)
        t1 = time.perf_counter()
        _add_source_cell(nb)
        title = f"{KIND_TITLES[job.kind]} — {job.name} — {job.vintage}"
        html_path = cache / f"{job.key}.html"
        html_path.write_text(render_html(nb, title), encoding="utf-8")
        files = [str(html_path)]
        if job.fmt == "pdf":
            pdf_path = cache / f"{job.key}.pdf"
            html_to_pdf(html_path, pdf_path)
            files.append(str(pdf_path))
        result.render = time.perf_counter() - t1
        result.files = files
        result.status = "ok"
    except Exception as exc:  # noqa: BLE001 - a failed report must not stop the batch
        result.error = _error_text(exc)
        if not getattr(exc, "ename", None):
            result.error += "\n" + traceback.format_exc(limit=3)
    finally:
        if km is not None:
            result.cpu = _kernel_cpu(km)
            try:
                km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
    result.total = time.perf_counter() - started
    result.cpu += time.process_time() - cpu_started
    if result.status == "ok":
        meta = {"key": job.key, "files": [Path(f).name for f in result.files]}
        (cache / f"{job.key}.json").write_text(json.dumps(meta), encoding="utf-8")
    return result


def _kernel_cpu(km) -> float:
    """CPU seconds used by a kernel process so far (0 if it cannot be read)."""
    try:
        import psutil

        times = psutil.Process(km.provisioner.process.pid).cpu_times()
        return times.user + times.system
    except Exception:  # noqa: BLE001 - informative only
        return 0.0


def _split_timings(executed: Path, t0: float) -> tuple[float, float]:
    """Kernel start-up (until the first cell starts) vs execution, from papermill metadata."""
    end = time.perf_counter()
    try:
        import nbformat

        nb = nbformat.read(str(executed), as_version=4)
        starts = [
            c.metadata.get("papermill", {}).get("start_time") for c in nb.cells
        ]
        starts = [s for s in starts if s]
        first = dt.datetime.fromisoformat(min(starts))
        began = dt.datetime.fromisoformat(nb.metadata["papermill"]["start_time"])
        waited = (first - began).total_seconds()
        total = end - t0
        return max(0.0, waited), max(0.0, total - waited)
    except Exception:  # noqa: BLE001 - timings are informative only
        return 0.0, end - t0


def _cached(job: ReportJob) -> ReportResult | None:
    meta_path = Path(job.cache_dir) / f"{job.key}.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    files = [Path(job.cache_dir) / name for name in meta["files"]]
    if not all(f.exists() for f in files):
        return None
    return ReportResult(job=job, status="skipped", files=[str(f) for f in files])


# --------------------------------------------------------------------------- batch


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_batch(
    jobs: Sequence[ReportJob],
    workers: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    on_result: Callable[[ReportResult], None] | None = None,
    out_root: Path | None = None,
    prestart: bool = True,
    warm: bool = True,
) -> BatchResult:
    """Run a planned batch, collect every report into a dated folder with an index page.

    ``prestart`` lets each local worker start the next report's kernel while the current one
    runs (each kernel still serves exactly one report); ``warm`` also has it import the
    libraries and read the published base (see :data:`WARMUP`).
    """
    if not jobs:
        raise ReportError("Aucun rapport à produire.")
    started = time.perf_counter()
    results: list[ReportResult] = []

    def done(result: ReportResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    pending: list[ReportJob] = []
    for job in jobs:
        hit = None if force else _cached(job)
        if hit is not None:
            done(hit)
        else:
            pending.append(job)
    if pending:
        if scheduler:
            _run_on_dask(pending, scheduler, done)
        else:
            _run_locally(pending, workers or default_workers(), done, prestart, warm)
    order = {job.key: i for i, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.job.key])
    folder = _batch_folder(jobs[0], out_root)
    for result in results:
        result.files = _publish_files(result, folder)
    seconds = time.perf_counter() - started
    index = write_index(folder, results, seconds)
    _write_log(folder, results, seconds, scheduler, workers)
    return BatchResult(folder=folder, index=index, results=results, seconds=seconds)


def _run_locally(
    jobs: Sequence[ReportJob], workers: int, done: Callable, prestart: bool, warm: bool
) -> None:
    """Spawned worker processes (forking after zmq/asyncio can hang)."""
    ctx = multiprocessing.get_context("spawn")
    workers = max(1, min(workers, len(jobs)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(run_report, job, prestart, warm): job for job in jobs}
        remaining = set(futures)
        while remaining:
            finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    done(fut.result())
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its report only
                    done(ReportResult(job=futures[fut], status="failed", error=_error_text(exc)))


def _run_on_dask(jobs: Sequence[ReportJob], scheduler: str, done: Callable) -> None:
    """Fan the batch out on a Dask cluster; each task runs one report in a fresh kernel."""
    from distributed import Client, as_completed

    with Client(scheduler, timeout="30s") as client:
        futures = client.map(run_report, list(jobs), key=[f"rapport-{j.key}" for j in jobs],
                             pure=False)
        by_key = {f.key: job for f, job in zip(futures, jobs, strict=True)}
        for fut in as_completed(futures):
            try:
                done(fut.result())
            except Exception as exc:  # noqa: BLE001
                done(ReportResult(job=by_key[fut.key], status="failed", error=_error_text(exc)))


def _batch_folder(job: ReportJob, out_root: Path | None) -> Path:
    root = Path(out_root) if out_root else paths().reports
    today = dt.date.today().isoformat()
    folder = root / f"{today}_{job.kind}_{job.scale}_{job.vintage}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _publish_files(result: ReportResult, folder: Path) -> list[str]:
    """Copy a report from the cache under its readable name; drop stale copies of failures."""
    out: list[str] = []
    for ext in ("html", "pdf"):
        target = folder / f"{result.job.stem}.{ext}"
        source = next((Path(f) for f in result.files if f.endswith(f".{ext}")), None)
        if result.status == "failed" or source is None:
            target.unlink(missing_ok=True)
            continue
        shutil.copyfile(source, target)
        out.append(str(target))
    return out


STATUS_LABELS = {"ok": "produit", "skipped": "inchangé (non réexécuté)", "failed": "échec"}


def write_index(folder: Path, results: Sequence[ReportResult], seconds: float) -> Path:
    """The batch's index page: one line per report, failures with their error, the mention."""
    job = results[0].job
    title = (
        f"{KIND_TITLES[job.kind]} — {SCALE_LABELS.get(job.scale, job.scale)} — "
        f"millésime {job.vintage}"
    )
    rows = []
    for r in results:
        links = " ".join(
            f'<a href="{html.escape(Path(f).name)}">{Path(f).suffix[1:].upper()}</a>'
            for f in r.files
        )
        error = f"<pre>{html.escape(r.error)}</pre>" if r.error else ""
        rows.append(
            f'<tr class="wb-{r.status}"><td>{html.escape(r.job.territory)}</td>'
            f"<td>{html.escape(r.job.name)}</td><td>{links}</td>"
            f"<td>{STATUS_LABELS[r.status]}{error}</td></tr>"
        )
    n_failed = sum(r.status == "failed" for r in results)
    summary = (
        f"{len(results)} rapport(s), dont {sum(r.status == 'ok' for r in results)} produit(s), "
        f"{sum(r.status == 'skipped' for r in results)} inchangé(s) et {n_failed} en échec ; "
        f"lot terminé le {dt.datetime.now().strftime('%d/%m/%Y à %H:%M')} en "
        f"{seconds:.0f} s."
    )
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
tr.wb-failed{{background:#fdecea}}pre{{white-space:pre-wrap;margin:0}}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(summary)}</p>
<table><thead><tr><th>Code</th><th>Territoire</th><th>Rapport</th><th>État</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p class="wb-source"><em>{html.escape(source_mention())}</em></p>
</body></html>
"""
    index = folder / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _write_log(
    folder: Path, results: Sequence[ReportResult], seconds: float, scheduler: str | None,
    workers: int | None,
) -> None:
    """A run log beside the reports, and an entry in the processing register."""
    job = results[0].job
    log = {
        "kind": job.kind, "vintage": job.vintage, "scale": job.scale,
        "seconds": round(seconds, 2), "scheduler": scheduler, "workers": workers,
        "reports": [
            {
                "territory": r.job.territory, "residence_id": r.job.parameters.get("residence_id"),
                "key": r.job.key, "status": r.status, "error": r.error,
                "kernel_start": round(r.kernel_start, 3), "execution": round(r.execution, 3),
                "render": round(r.render, 3), "total": round(r.total, 3), "cpu": round(r.cpu, 3),
            }
            for r in results
        ],
    }
    (folder / "batch.json").write_text(json.dumps(log, indent=1, ensure_ascii=False), "utf-8")
    from workbench.register import record

    failed = [r.job.territory for r in results if r.status == "failed"]
    record(
        operation="report",
        data={
            "kind": job.kind, "vintage": job.vintage, "scale": job.scale, "folder": str(folder),
            "executed": sum(r.status == "ok" for r in results),
            "skipped": sum(r.status == "skipped" for r in results), "failed": len(failed),
        },
        rows=len(results),
        outcome="ok" if not failed else f"{len(failed)} échec(s) : {', '.join(failed[:20])}",
    )


def results_table(results: Iterable[ReportResult]) -> list[dict[str, Any]]:
    """Plain rows for printing or benchmarking."""
    return [{**asdict(r), "job": r.job.stem} for r in results]
