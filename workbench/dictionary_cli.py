"""`workbench dictionary`: render the data dictionary for new users."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("dictionary")
    def dictionary_command(
        format: str = typer.Option("md", "--format", "-f", help="Format : md ou html."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Fichier à écrire (par défaut : affichage à l'écran)."
        ),
    ) -> None:
        """Produire le dictionnaire des données lisible (Markdown ou HTML)."""
        from workbench.dictionary import render_html, render_markdown

        if format not in {"md", "html"}:
            raise typer.BadParameter("format attendu : md ou html", param_hint="--format")
        text = render_html() if format == "html" else render_markdown()
        if output is None:
            typer.echo(text)
        else:
            output.write_text(text, encoding="utf-8")
            typer.echo(f"Dictionnaire écrit dans {output}")
