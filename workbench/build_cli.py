"""`workbench build` and `workbench prune`: the annual build of the published base."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # imported when a command runs: the CLI starts fast
    from rich.console import Console

    from workbench.build import BuildResult
    from workbench.dictionary import Dictionary


def register(app: typer.Typer) -> None:
    @app.command("build")
    def build_command(
        vintage: list[int] = typer.Option(
            None, "--vintage", "-v", help="Millésime à construire (répétable)."
        ),
        all_vintages: bool = typer.Option(
            False, "--all", help="Construire tous les millésimes chargés dans le magasin."
        ),
    ) -> None:
        """Calculer les indicateurs, appliquer le secret statistique, auditer et publier."""
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from workbench.build import BuildError, build_vintages
        from workbench.dictionary import dictionary
        from workbench.register import record
        from workbench.store import MicrodataStore

        console = Console()
        store = MicrodataStore()
        vintages = store.vintages() if all_vintages else list(vintage or [])
        if not vintages:
            console.print(
                "[red]Aucun millésime à construire[/red] : indiquez --vintage ANNÉE ou --all "
                "(millésimes chargés : " + (", ".join(map(str, store.vintages())) or "aucun") + ")."
            )
            raise typer.Exit(2)
        d = dictionary()
        failed = False
        with Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
            console=console, transient=True,
        ) as progress:
            task = progress.add_task("Construction", total=None)
            outcomes = build_vintages(
                vintages, store=store, progress=lambda msg: progress.update(task, description=msg),
            )
            for v, outcome in zip(vintages, outcomes, strict=True):
                if isinstance(outcome, BuildError):
                    console.print(f"[red]Millésime {v} non publié[/red] : {outcome}")
                    record(operation="build", data={"vintage": v}, rows=0, outcome=f"refusé : {outcome}")
                    failed = True
                    continue
                _summary(console, d, outcome)
                record(
                    operation="build", data={"vintage": v, "theme": "tous"},
                    rows=sum(outcome.counts_by_status.values()), outcome="publié",
                )
        if failed:
            raise typer.Exit(1)

    @app.command("prune")
    def prune_command(
        keep_years: int = typer.Option(
            None, "--keep-years", help="Durée de conservation en années (12 par défaut)."
        ),
    ) -> None:
        """Supprimer les millésimes publiés plus anciens que la durée de conservation."""
        from workbench.build import prune
        from workbench.register import record

        removed = prune(keep_years)
        if removed:
            typer.echo("Millésimes supprimés : " + ", ".join(map(str, removed)))
        else:
            typer.echo("Aucun millésime à supprimer.")
        record(operation="prune", data={"vintages": removed}, rows=len(removed), outcome="ok")


def _summary(console: Console, d: Dictionary, result: BuildResult) -> None:
    """One vintage's counts by status and audit figures."""
    from rich.table import Table

    table = Table(title=f"Base publiée {result.vintage} — {result.seconds:.1f} s")
    table.add_column("Statut")
    table.add_column("Lignes", justify="right")
    for status, n in result.counts_by_status.items():
        table.add_row(d.status_label(status), f"{n:,}".replace(",", " "))
    console.print(table)
    for theme, audit in result.audit.items():
        console.print(
            f"  Audit « {d.themes[theme].label} » : {audit.get('checked', 0)} données "
            f"masquées vérifiées (dont {audit.get('carried', 0)} prouvées aux tours "
            f"précédents), {audit.get('disclosures', 0)} recalculable, plus grand bloc "
            f"{audit.get('largest_block', 0)} ; secret et audit {audit.get('protect_seconds', 0):.1f} s"
        )
    console.print(f"  Écrit dans {result.folder}")
