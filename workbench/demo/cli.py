"""`workbench demo-data`: write fictional demo sources in the producers' real formats."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def _vintages(text: str) -> list[int]:
    try:
        years = sorted({int(v) for v in text.replace(";", ",").split(",") if v.strip()})
    except ValueError:
        raise typer.BadParameter(
            f"« {text} » : liste d'années attendue, par exemple 2022,2023,2024"
        ) from None
    if not years or any(y < 2000 or y > 2100 for y in years):
        raise typer.BadParameter(f"« {text} » : années entre 2000 et 2100 attendues")
    return years


def register(app: typer.Typer) -> None:
    """Attach the ``demo-data`` command to the workbench CLI."""

    @app.command("demo-data")
    def demo_data(
        home: Path | None = typer.Option(
            None, "--home", help="Dossier de travail (par défaut WORKBENCH_HOME ou var/)."
        ),
        seed: int = typer.Option(2024, "--seed", help="Graine du tirage : même graine, mêmes fichiers."),
        national: bool = typer.Option(
            False, "--national",
            help="Taille nationale (≈ 5,4 millions de logements, géographie fictive) pour les "
            "mesures de performance.",
        ),
        vintages: str = typer.Option(
            "2022,2023,2024", "--vintages", help="Millésimes à produire (1er janvier), séparés par des virgules."
        ),
        scale: float = typer.Option(
            1.0, "--echelle", min=0.001, max=1.0,
            help="Fraction de la taille réelle (réservé aux tests rapides).",
        ),
    ) -> None:
        """Produire des données de démonstration fictives (RPLS, occupation, attributions, géographie)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.table import Table

        from workbench.config import Paths
        from workbench.config import home as default_home

        years = _vintages(vintages)
        root = Paths((home or default_home()).resolve()).sources
        if home is not None:
            os.environ["WORKBENCH_HOME"] = str(home.resolve())
        console = Console()
        if national:
            from workbench.demo.national import DEPARTEMENTS

            steps = 1 + max(1, round(len(DEPARTEMENTS) * scale))
        else:
            steps = 2 + 3 * len(years)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("Préparation…", total=steps)
            started = [False]

            def step(message: str) -> None:
                if started[0]:
                    progress.advance(task)
                started[0] = True
                progress.update(task, description=message)

            from workbench.demo.writers import DemoFolderError

            try:
                if national:
                    from workbench.demo.national import generate_national

                    summary = generate_national(root, seed=seed, vintages=years, scale=scale,
                                                step=step)
                else:
                    from workbench.demo.mel import generate_mel

                    summary = generate_mel(root, seed=seed, vintages=years, scale=scale,
                                           step=step)
            except DemoFolderError as exc:
                progress.stop()
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from None
        table = Table(title="Données de démonstration FICTIVES écrites dans " + str(root))
        table.add_column("Millésime")
        for label in ("Résidences", "Logements", "Ménages (loués)", "Répondants",
                      "Attributions (année N-1)", "Fichiers d'occupation"):
            table.add_column(label, justify="right")

        def fmt(value: int | None) -> str:
            return "—" if value is None else f"{value:,}".replace(",", " ")

        for y in years:
            table.add_row(str(y), fmt(summary.residences.get(y)), fmt(summary.dwellings.get(y)),
                          fmt(summary.households.get(y)), fmt(summary.respondents.get(y)),
                          fmt(summary.attributions.get(y)), fmt(summary.occupation_files.get(y)))
        console.print(table)
        console.print(
            f"Communes : {fmt(summary.communes)} · IRIS : {fmt(summary.iris)} · "
            f"QPV fictifs : {fmt(summary.qpv)} · équipements : {fmt(summary.equipment)} · "
            f"graine {summary.seed} · durée {summary.seconds:.1f} s"
        )
