"""The ``workbench`` command line: one entry point, French help, one subcommand per job.

Subcommands live beside the concept they drive; this module only wires them, importing
heavy modules inside the commands so that ``--help`` stays instant.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="workbench",
    help="Atelier d'analyse du parc locatif social : chargement, secret statistique, "
    "base publiée, tableaux de bord et rapports.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root() -> None:
    """Atelier d'analyse du parc locatif social."""


def _wire() -> None:
    """Attach the subcommands of each concept module (each exposes ``register(app)``)."""
    import importlib

    for module in (
        "workbench.dictionary_cli",
        "workbench.sources.cli",
        "workbench.demo.cli",
        "workbench.build_cli",
        "workbench.faces_cli",
        "workbench.reports_cli",
        "workbench.access.cli",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not exc.name or not module.startswith(exc.name):
                raise  # a real missing dependency, not a module not written yet
            continue
        mod.register(app)


_wire()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
