"""Administrator commands: ``accounts``, ``register``, ``study`` and ``purge``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer


def _date(text: str | None) -> dt.date | None:
    """Accept 31/12/2026 as well as 2026-12-31."""
    if text is None:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise typer.BadParameter(f"date « {text} » illisible (format JJ/MM/AAAA)")


def _fail(console, exc: Exception) -> None:  # type: ignore[no-untyped-def]
    console.print(f"[red]Refusé[/red] : {exc}")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach the access and data-protection commands to the ``workbench`` application."""
    accounts_app = typer.Typer(help="Comptes nominatifs, organisations et rôles (administrateur).",
                               no_args_is_help=True)
    register_app = typer.Typer(help="Registre des traitements (vérification, export).",
                               no_args_is_help=True)
    study_app = typer.Typer(help="Études : déclaration et liste.", no_args_is_help=True)
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(register_app, name="register")
    app.add_typer(study_app, name="study")

    # -- accounts ----------------------------------------------------------------------
    @accounts_app.command("organisation")
    def organisation_command(
        name: str = typer.Argument(..., help="Nom de l'organisation."),
        kind: str = typer.Option(..., "--type", help="intercommunality, commune, landlord, "
                                 "state, departement, action_logement, hlm_union, consultancy."),
        convention: str = typer.Option(None, "--convention",
                                       help="Date de signature de la convention (JJ/MM/AAAA)."),
    ) -> None:
        """Ajouter une organisation et la date de signature de sa convention."""
        from rich.console import Console

        from workbench.access import accounts

        console = Console()
        try:
            org = accounts.add_organisation(name, kind, _date(convention))
        except accounts.AccountError as exc:
            _fail(console, exc)
        console.print(f"Organisation « {org.name} » ajoutée.")

    @accounts_app.command("add")
    def add_command(
        username: str = typer.Argument(..., help="Identifiant de connexion (ex. jdupont)."),
        email: str = typer.Option(..., "--email", help="Adresse professionnelle nominative."),
        name: str = typer.Option(..., "--nom", help="Prénom et nom de la personne."),
        organisation: str = typer.Option(..., "--organisation", help="Organisation du compte."),
        role: str = typer.Option(..., "--role", help="administrator, analyst, partner, "
                                 "commission ou third_party."),
        end: str = typer.Option(None, "--fin", help="Fin du contrat (obligatoire pour un tiers)."),
        acts_as: str = typer.Option(None, "--comme", help="Pour un tiers : analyst ou partner."),
        exception: str = typer.Option(None, "--exception", help="Motif documenté autorisant "
                                      "une adresse générique ou personnelle."),
    ) -> None:
        """Créer un compte personnel (toutes les règles sont vérifiées)."""
        from rich.console import Console

        from workbench.access import accounts

        console = Console()
        try:
            acc = accounts.add_account(username, email, name, organisation, role,
                                       end_date=_date(end), acts_as=acts_as,
                                       email_exception=exception)
        except accounts.AccountError as exc:
            _fail(console, exc)
        where = "JupyterLab" if acc.uses_lab else "tableaux de bord Voilà"
        console.print(
            f"Compte « {acc.username} » créé ({accounts.ROLES[acc.role]}, {where}). La personne "
            "s'inscrit sur le hub avec cet identifiant ; l'administrateur valide l'inscription."
        )

    @accounts_app.command("deactivate")
    def deactivate_command(
        username: str = typer.Argument(..., help="Identifiant du compte."),
        reason: str = typer.Option(..., "--motif", help="Motif (départ, fin de contrat…)."),
    ) -> None:
        """Désactiver un compte (départ, fin de contrat, manquement)."""
        from rich.console import Console

        from workbench.access import accounts

        console = Console()
        try:
            accounts.deactivate(username, reason)
        except accounts.AccountError as exc:
            _fail(console, exc)
        console.print(f"Compte « {username} » désactivé.")

    @accounts_app.command("list")
    def list_command(
        everyone: bool = typer.Option(False, "--tous", help="Inclure les comptes désactivés."),
    ) -> None:
        """Lister les comptes."""
        from rich.console import Console
        from rich.table import Table

        from workbench.access import accounts

        table = Table(title="Comptes de l'atelier")
        for col in ("Identifiant", "Nom", "Organisation", "Rôle", "Fin d'accès",
                    "Dernière connexion", "État"):
            table.add_column(col)
        for a in accounts.list_accounts(include_inactive=everyone):
            table.add_row(
                a.username, a.full_name, a.organisation.name,
                accounts.ROLES[a.role] + (f" ({a.acts_as})" if a.acts_as else ""),
                f"{a.end_date:%d/%m/%Y}" if a.end_date else "",
                f"{a.last_login:%d/%m/%Y}" if a.last_login else "jamais",
                "actif" if a.active else f"désactivé ({a.deactivation_reason})",
            )
        Console().print(table)

    @accounts_app.command("review")
    def review_command(
        output: Path = typer.Option(None, "--sortie", help="Fichier Excel produit."),
    ) -> None:
        """Revue annuelle : désactive les comptes inutilisés depuis un an, produit l'Excel."""
        from rich.console import Console

        from workbench.access import accounts
        from workbench.config import paths

        today = dt.date.today()
        output = output or paths().reports / f"revue-comptes-{today:%Y-%m-%d}.xlsx"
        Console().print(f"Revue des comptes écrite dans {accounts.review(output, today=today)}")

    # -- register ----------------------------------------------------------------------
    @register_app.command("verify")
    def verify_command() -> None:
        """Vérifier le chaînage : détecte une entrée modifiée ou supprimée."""
        from rich.console import Console

        from workbench.register import verify

        console = Console()
        check = verify()
        if check.ok:
            console.print(f"Registre intègre : {check.entries} entrées. Empreinte de tête "
                          f"{check.head_hash} (à noter hors du serveur pour comparaison).")
            return
        console.print(f"[red]Registre altéré[/red] ({check.entries} entrées) :")
        for problem in check.problems:
            console.print(f"  - {problem}")
        raise typer.Exit(1)

    @register_app.command("export")
    def export_command(
        output: Path = typer.Option(None, "--sortie", help="Fichier Excel produit."),
    ) -> None:
        """Exporter le registre des traitements en Excel."""
        from rich.console import Console

        from workbench.config import paths
        from workbench.register import export

        output = output or paths().reports / f"registre-{dt.date.today():%Y-%m-%d}.xlsx"
        Console().print(f"Registre exporté dans {export(output)}")

    # -- studies -----------------------------------------------------------------------
    @study_app.command("declare")
    def declare_command(
        name: str = typer.Argument(..., help="Nom de l'étude."),
        purpose: str = typer.Option(..., "--finalite", help="Finalité de l'étude."),
        end: str = typer.Option(..., "--fin", help="Date de fin de l'étude (JJ/MM/AAAA)."),
        persons: list[str] = typer.Option(..., "--personne",
                                          help="Personne habilitée (identifiant, répétable)."),
    ) -> None:
        """Déclarer une étude ; sa clé de chiffrement est créée hors du magasin."""
        from rich.console import Console

        from workbench import crypto, studies

        console = Console()
        try:
            study = studies.declare(name, purpose, _date(end), list(persons))
        except studies.StudyError as exc:
            _fail(console, exc)
        console.print(
            f"Étude « {study.name} » déclarée jusqu'au {study.end_date:%d/%m/%Y} ; clé dans "
            f"{crypto.key_path(study.key_id)}. Chargez ses microdonnées avec "
            f"WORKBENCH_STUDY=\"{study.name}\" workbench load …"
        )

    @study_app.command("list")
    def study_list_command() -> None:
        """Lister les études déclarées."""
        from rich.console import Console
        from rich.table import Table

        from workbench import studies

        table = Table(title="Études")
        for col in ("Nom", "Finalité", "Fin", "Personnes habilitées", "État"):
            table.add_column(col)
        for s in studies.list_studies():
            table.add_row(s.name, s.purpose, f"{s.end_date:%d/%m/%Y}",
                          ", ".join("toutes" if p == "*" else p for p in s.persons),
                          "en cours" if s.active else f"purgée le {s.purged_at[:10]}")
        Console().print(table)

    # -- purge -------------------------------------------------------------------------
    @app.command("purge")
    def purge_command(
        study: str = typer.Option(..., "--study", help="Étude dont les microdonnées sont détruites."),
        yes: bool = typer.Option(False, "--oui", help="Ne pas demander de confirmation."),
    ) -> None:
        """Détruire les microdonnées, fichiers intermédiaires et la clé d'une étude."""
        from rich.console import Console

        from workbench import studies

        console = Console()
        if not yes:
            typer.confirm(
                f"Détruire définitivement les microdonnées et la clé de l'étude « {study} » ?",
                abort=True,
            )
        try:
            report = studies.purge(study)
        except studies.StudyError as exc:
            _fail(console, exc)
        console.print(
            f"Étude « {report.study} » purgée : {len(report.folders)} dossier(s), {report.files} "
            "fichier(s) détruits. Les agrégats publiés sont conservés."
        )
        if report.key_shredded:
            console.print("Clé de chiffrement détruite : les copies de sauvegarde sont illisibles.")
        else:
            console.print(
                "[yellow]La clé est fournie par une variable d'environnement : retirez-la de la "
                "configuration du serveur pour achever la destruction.[/yellow]"
            )
