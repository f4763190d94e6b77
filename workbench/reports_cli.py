"""`workbench report`: the annual reports in batch, one per territory."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        vintage: int = typer.Option(..., "--vintage", "-v", help="Millésime de la base publiée."),
        kind: str = typer.Option(
            "diagnostic", "--kind", "-k", help="Type de rapport : diagnostic, attributions, fiche."
        ),
        scale: str = typer.Option("commune", "--scale", "-s", help="Échelle : commune, qpv, epci."),
        only: list[str] = typer.Option(
            None, "--only", help="Ne produire que ces territoires (code, répétable)."
        ),
        workers: int = typer.Option(
            0, "--workers", "-w", help="Processus en parallèle (par défaut : un par cœur)."
        ),
        fmt: str = typer.Option("html", "--format", "-f", help="Format : html ou pdf."),
        scheduler: str = typer.Option(
            None, "--scheduler", help="Adresse d'un ordonnanceur Dask (ex. tcp://127.0.0.1:8786)."
        ),
        force: bool = typer.Option(
            False, "--force", help="Réexécuter aussi les rapports dont les entrées n'ont pas changé."
        ),
        notebook: Path = typer.Option(
            None, "--notebook", help="Carnet paramétré à utiliser à la place du carnet standard."
        ),
        output: Path = typer.Option(
            None, "--output", "-o", help="Dossier racine des lots (par défaut : <home>/reports)."
        ),
    ) -> None:
        """Produire les rapports annuels d'une échelle avec papermill, avec une page d'index."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from workbench.reports import STATUS_LABELS, ReportError, plan_batch, run_batch

        console = Console()
        try:
            jobs = plan_batch(vintage, kind, scale, only=only, fmt=fmt, notebook=notebook)
        except ReportError as exc:
            console.print(f"[red]Lot impossible[/red] : {exc}")
            raise typer.Exit(2) from None
        colors = {"ok": "green", "skipped": "cyan", "failed": "red"}
        with Progress(
            TextColumn("[bold]Rapports"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console,
        ) as progress:
            task = progress.add_task("rapports", total=len(jobs))

            def on_result(result) -> None:
                c = colors[result.status]
                progress.console.print(
                    f"  [{c}]{STATUS_LABELS[result.status]}[/{c}] {result.job.territory} "
                    f"{result.job.name}"
                    + (f" — {result.total:.1f} s" if result.status != "skipped" else "")
                )
                progress.advance(task)

            batch = run_batch(
                jobs, workers=workers or None, force=force, scheduler=scheduler,
                on_result=on_result, out_root=output,
            )
        console.print(
            f"{len(batch.executed)} produit(s), {len(batch.skipped)} inchangé(s), "
            f"{len(batch.failed)} en échec en {batch.seconds:.1f} s. Index : {batch.index}"
        )
        if batch.failed:
            console.print("[red]Rapports en échec :[/red]")
            for result in batch.failed:
                first = result.error.strip().splitlines()[0] if result.error.strip() else ""
                console.print(f"  {result.job.territory} {result.job.name} : {first}")
            raise typer.Exit(1)
