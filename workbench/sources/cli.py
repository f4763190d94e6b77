"""`workbench load`: validate producers' files and load them into the microdata store."""

from __future__ import annotations

from pathlib import Path

import typer


def _n(x: int) -> str:
    return f"{x:,}".replace(",", " ")


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load_command(
        vintage: list[int] = typer.Option(
            None, "--vintage", "-v", help="Millésime à charger (répétable), ex. --vintage 2024."
        ),
        all_vintages: bool = typer.Option(
            False, "--all", help="Charger tous les millésimes présents dans le dossier des sources."
        ),
        sources: Path = typer.Option(
            None, "--sources", help="Dossier des sources (par défaut : <WORKBENCH_HOME>/sources)."
        ),
    ) -> None:
        """Valider les fichiers sources (RPLS, occupation, attributions, géographie) et les
        charger dans le magasin de microdonnées, millésime par millésime."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        from workbench.config import paths
        from workbench.sources import SourceError
        from workbench.sources.load import available_vintages, load_geography, load_vintage
        from workbench.store import MicrodataStore

        console = Console()
        root = Path(sources) if sources else paths().sources
        found = available_vintages(root)
        wanted = found if all_vintages else sorted(vintage or [])
        if not wanted:
            console.print(
                "[red]Aucun millésime à charger[/red] : indiquez --vintage ANNÉE ou --all "
                f"(millésimes trouvés dans {root} : " + (", ".join(map(str, found)) or "aucun") + ")."
            )
            raise typer.Exit(2)
        store = MicrodataStore()
        geo_folder = root / "geographie"
        steps = len(wanted) + (1 if geo_folder.is_dir() else 0)
        summaries = []
        geo = None
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console, transient=True,
        ) as progress:
            task = progress.add_task("Chargement", total=steps)
            say = lambda msg: progress.update(task, description=msg)  # noqa: E731
            try:
                if geo_folder.is_dir():
                    say("Géographie")
                    geo = load_geography(root, store)
                    progress.advance(task)
                for v in wanted:
                    summaries.append(load_vintage(root, v, store, progress=say))
                    progress.advance(task)
            except SourceError as exc:
                progress.stop()
                done = ", ".join(str(s.vintage) for s in summaries)
                console.print(f"[red]Chargement interrompu[/red] — {exc}")
                if done:
                    console.print(f"Millésimes déjà chargés : {done}.")
                _record("refusé : " + str(exc).splitlines()[0], wanted, 0)
                raise typer.Exit(1) from None
        if geo is not None:
            console.print(
                f"[bold]Géographie[/bold] : {_n(geo.communes)} communes, {_n(geo.iris)} IRIS, "
                f"{_n(geo.qpv)} QPV, {_n(geo.equipements)} équipements ({geo.seconds:.1f} s)"
            )
            for w in geo.warnings:
                if w.count:
                    console.print(f"  [yellow]Avertissement[/yellow] {w.describe()}")
        for s in summaries:
            table = Table(title=f"Millésime {s.vintage} chargé — {s.seconds:.1f} s")
            table.add_column("Élément")
            table.add_column("Valeur", justify="right")
            table.add_row("Logements (RPLS)", _n(s.logements))
            table.add_row("Résidences", _n(s.residences))
            table.add_row("Version loi (loyers, vacance)", "oui" if s.version_loi else "non")
            table.add_row("Ménages (logements loués)", _n(s.menages))
            rate = s.taux_reponse
            table.add_row(
                "Taux de réponse à l'enquête",
                "—" if rate is None else f"{100 * rate:.1f} %".replace(".", ","),
            )
            for year, n in s.attributions_par_annee.items():
                table.add_row(f"Attributions (baux signés en {year})", _n(n))
            if not s.attributions_par_annee:
                table.add_row("Attributions", "aucun fichier")
            table.add_row("Avertissements (lignes)", _n(s.nb_warnings))
            console.print(table)
            for w in s.warnings:
                console.print(f"  [yellow]Avertissement[/yellow] {w.describe()}")
        _record("chargé", wanted, sum(s.logements for s in summaries))


def _record(outcome: str, vintages: list[int], rows: int) -> None:
    """Trace the load in the processing register when the access module is installed."""
    try:
        from workbench.register import record
    except ModuleNotFoundError:
        return
    record(operation="load", data={"vintages": vintages}, rows=rows, outcome=outcome)
