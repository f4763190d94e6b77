"""``workbench serve``: the partners' dashboards on this machine (Voilà on 127.0.0.1)."""

from __future__ import annotations

import typer


def serve(
    port: int = typer.Option(8866, "--port", help="Port d'écoute sur 127.0.0.1."),
    open_browser: bool = typer.Option(
        True, "--open/--no-open", help="Ouvrir le portail dans le navigateur."
    ),
) -> None:
    """Servir les tableaux de bord (Voilà) sur la base publiée du dossier courant."""
    import signal
    import webbrowser

    from workbench.published import PublishedBase, PublishedBaseError
    from workbench.serve import ServeError, VoilaServer

    base = PublishedBase()
    try:
        latest = base.latest()
    except PublishedBaseError as exc:
        typer.echo(f"Erreur : {exc}", err=True)
        raise typer.Exit(1) from exc
    server = VoilaServer(port=port)
    try:
        server.start()
        server.wait_ready(timeout=120)
    except ServeError as exc:
        typer.echo(f"Erreur : {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"Portail du parc locatif social (millésime {latest}) ouvert à l'adresse {server.url}\n"
        "Appuyez sur Ctrl+C pour arrêter."
    )
    if open_browser:
        webbrowser.open(server.url)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)  # a service manager stops us: stop Voilà too
    signal.signal(signal.SIGINT, _terminate)
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        typer.echo("Arrêt du portail.")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
