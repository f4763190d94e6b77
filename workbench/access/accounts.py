"""Organisations, personal accounts and roles, and the login rules the hub applies.

An account belongs to one organisation whose convention is signed; it is personal (nominative
professional address, save a documented exception); its role decides what the hub serves.
Third parties carry the end date of their contract. Accounts unused for a year are
deactivated. Every change goes to the processing register.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from workbench.access import emails
from workbench.access.database import ready
from workbench.register import current_person, record

UNUSED_DAYS = 365

ORGANISATION_KINDS = {
    "intercommunality": "Intercommunalité",
    "commune": "Commune",
    "landlord": "Bailleur social",
    "state": "État",
    "departement": "Département",
    "action_logement": "Action Logement",
    "hlm_union": "Union régionale HLM",
    "consultancy": "Prestataire (bureau d'études, agence, association)",
}

ROLES = {
    "administrator": "Administrateur",
    "analyst": "Analyste",
    "partner": "Partenaire",
    "commission": "Membre de commission d'attribution",
    "third_party": "Tiers (prestataire)",
}
THIRD_PARTY_AS = {"analyst", "partner"}

metadata = MetaData()
organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("convention_signed", Date, nullable=True),
)
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("organisation_id", Integer, ForeignKey("organisations.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("acts_as", String(20), nullable=True),
    Column("end_date", Date, nullable=True),
    Column("email_exception", Text, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_on", Date, nullable=False),
    Column("last_login", Date, nullable=True),
    Column("deactivated_on", Date, nullable=True),
    Column("deactivation_reason", Text, nullable=True),
)


class AccountError(ValueError):
    """An account operation breaks a rule (French message for the administrator)."""


class LoginRefused(PermissionError):
    """A login breaks a rule (French message shown to the person)."""


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: str
    convention_signed: dt.date | None


@dataclass(frozen=True)
class Account:
    username: str
    email: str
    full_name: str
    organisation: Organisation
    role: str
    acts_as: str | None
    end_date: dt.date | None
    email_exception: str | None
    active: bool
    created_on: dt.date
    last_login: dt.date | None
    deactivated_on: dt.date | None
    deactivation_reason: str | None

    @property
    def effective_role(self) -> str:
        """The role that decides the interface (a third party acts as analyst or partner)."""
        return self.acts_as if self.role == "third_party" and self.acts_as else self.role

    @property
    def uses_lab(self) -> bool:
        """JupyterLab for analysts and administrators; Voilà alone for everyone else."""
        return self.effective_role in {"analyst", "administrator"}


def _db():  # type: ignore[no-untyped-def]
    return ready(metadata)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _log(operation: str, by: str | None, outcome: str = "ok", **data: object) -> None:
    record(operation=operation, person=by or current_person(), data=data, outcome=outcome)


# -- organisations --------------------------------------------------------------------------
def add_organisation(name: str, kind: str, convention_signed: dt.date | None,
                     by: str | None = None) -> Organisation:
    """Register an organisation and the date its convention was signed (None: not yet)."""
    if kind not in ORGANISATION_KINDS:
        raise AccountError(
            f"Type d'organisation « {kind} » inconnu ; types : " + ", ".join(ORGANISATION_KINDS)
        )
    name = name.strip()
    eng = _db()
    with eng.connect() as conn:
        if conn.execute(select(organisations.c.id).where(organisations.c.name == name)).first():
            raise AccountError(f"L'organisation « {name} » existe déjà.")
    _log("organisation ajoutée", by, organisation=name, type=kind,
         convention=convention_signed.isoformat() if convention_signed else "non signée")
    with eng.begin() as conn:
        conn.execute(insert(organisations).values(name=name, kind=kind,
                                                  convention_signed=convention_signed))
    return Organisation(name, kind, convention_signed)


def list_organisations() -> list[Organisation]:
    with _db().connect() as conn:
        rows = conn.execute(select(organisations).order_by(organisations.c.name)).all()
    return [Organisation(r.name, r.kind, r.convention_signed) for r in rows]


# -- accounts -------------------------------------------------------------------------------
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")


def add_account(
    username: str,
    email: str,
    full_name: str,
    organisation: str,
    role: str,
    *,
    end_date: dt.date | None = None,
    acts_as: str | None = None,
    email_exception: str | None = None,
    by: str | None = None,
    today: dt.date | None = None,
) -> Account:
    """Create a personal account after checking every rule; logged to the register."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError(
            f"Identifiant « {username} » invalide : lettres minuscules, chiffres, « . », « - » "
            "ou « _ », en commençant par une lettre."
        )
    if role not in ROLES:
        raise AccountError(f"Rôle « {role} » inconnu ; rôles : " + ", ".join(ROLES))
    if email_exception is not None and not email_exception.strip():
        raise AccountError("Une exception à la règle des adresses nominatives doit être motivée.")
    try:
        address = emails.check(email, email_exception)
    except emails.EmailRefused as exc:
        raise AccountError(str(exc)) from None
    if not full_name.strip():
        raise AccountError("Le nom et le prénom de la personne sont obligatoires.")
    if role == "third_party":
        if end_date is None:
            raise AccountError("Un compte tiers doit porter la date de fin de son contrat.")
        if acts_as not in THIRD_PARTY_AS:
            raise AccountError("Un compte tiers agit comme « analyst » ou « partner » (--comme).")
        if end_date < _today(today):
            raise AccountError(f"La date de fin du contrat ({end_date:%d/%m/%Y}) est passée.")
    elif acts_as is not None:
        raise AccountError("« --comme » ne concerne que les comptes tiers.")
    eng = _db()
    with eng.connect() as conn:
        org = conn.execute(
            select(organisations).where(organisations.c.name == organisation.strip())
        ).first()
        clash = conn.execute(
            select(accounts.c.username).where(
                (accounts.c.username == username) | (accounts.c.email == address)
            )
        ).first()
    if org is None:
        raise AccountError(f"Organisation « {organisation} » inconnue : ajoutez-la d'abord.")
    if org.convention_signed is None:
        raise AccountError(f"La convention de « {org.name} » n'est pas signée : pas de compte.")
    if org.kind == "consultancy" and role != "third_party":
        raise AccountError("Les comptes d'un prestataire sont des comptes tiers (--role third_party).")
    if clash is not None:
        raise AccountError(f"Un compte existe déjà pour cet identifiant ou cette adresse ({clash[0]}).")
    _log("compte ajouté", by, compte=username, courriel=address, organisation=org.name,
         role=role, comme=acts_as, fin=end_date.isoformat() if end_date else None,
         exception=email_exception)
    with eng.begin() as conn:
        conn.execute(insert(accounts).values(
            username=username, email=address, full_name=full_name.strip(),
            organisation_id=org.id, role=role, acts_as=acts_as, end_date=end_date,
            email_exception=email_exception, active=True, created_on=_today(today)))
    return get(username)


def _select():  # type: ignore[no-untyped-def]
    return select(accounts, organisations.c.name.label("org_name"),
                  organisations.c.kind.label("org_kind"),
                  organisations.c.convention_signed.label("org_convention")).join(organisations)


def _from_row(r) -> Account:  # type: ignore[no-untyped-def]
    return Account(
        r.username, r.email, r.full_name, Organisation(r.org_name, r.org_kind, r.org_convention),
        r.role, r.acts_as, r.end_date, r.email_exception, bool(r.active), r.created_on,
        r.last_login, r.deactivated_on, r.deactivation_reason,
    )


def get(username: str) -> Account:
    with _db().connect() as conn:
        r = conn.execute(_select().where(accounts.c.username == username.strip().lower())).first()
    if r is None:
        raise AccountError(f"Aucun compte « {username} ».")
    return _from_row(r)


def find(username: str) -> Account | None:
    try:
        return get(username)
    except AccountError:
        return None


def list_accounts(include_inactive: bool = False) -> list[Account]:
    query = _select().order_by(accounts.c.username)
    if not include_inactive:
        query = query.where(accounts.c.active.is_(True))
    with _db().connect() as conn:
        return [_from_row(r) for r in conn.execute(query).all()]


def deactivate(username: str, reason: str, by: str | None = None,
               today: dt.date | None = None) -> Account:
    """Deactivate an account (departure, end of contract, misuse, no use for a year)."""
    account = get(username)
    if not account.active:
        raise AccountError(f"Le compte « {account.username} » est déjà désactivé.")
    if not reason.strip():
        raise AccountError("Indiquez le motif de la désactivation.")
    _log("compte désactivé", by, compte=account.username, motif=reason)
    with _db().begin() as conn:
        conn.execute(update(accounts).where(accounts.c.username == account.username).values(
            active=False, deactivated_on=_today(today), deactivation_reason=reason.strip()))
    return get(account.username)


def _last_use(account: Account) -> dt.date:
    return account.last_login or account.created_on


def deactivate_unused(today: dt.date | None = None, by: str | None = None) -> list[str]:
    """Deactivate every active account not used for a year; return their identifiers."""
    limit = _today(today) - dt.timedelta(days=UNUSED_DAYS)
    stale = [a for a in list_accounts() if _last_use(a) < limit]
    for a in stale:
        deactivate(a.username, f"inutilisé depuis le {_last_use(a):%d/%m/%Y} (plus d'un an)",
                   by=by or "revue automatique", today=today)
    return [a.username for a in stale]


def check_login(username: str, today: dt.date | None = None) -> Account:
    """Apply the access rules at login; raise :class:`LoginRefused` with a French reason."""
    today = _today(today)
    account = find(username)
    if account is None:
        raise LoginRefused(
            "Aucun compte de l'atelier ne correspond à cet identifiant : la demande de compte "
            "se fait auprès de l'administrateur de votre intercommunalité."
        )
    if account.active and _last_use(account) < today - dt.timedelta(days=UNUSED_DAYS):
        account = deactivate(
            account.username,
            f"inutilisé depuis le {_last_use(account):%d/%m/%Y} (plus d'un an)",
            by="règle d'inactivité", today=today,
        )
    if not account.active:
        raise LoginRefused(
            f"Ce compte a été désactivé le {account.deactivated_on:%d/%m/%Y} "
            f"({account.deactivation_reason}). Adressez-vous à l'administrateur de l'atelier."
        )
    if account.email_exception is None:
        reason = emails.problem(account.email)
        if reason:
            raise LoginRefused(
                f"Connexion refusée : {reason} Demandez à l'administrateur un compte à votre nom."
            )
    if account.role == "third_party" and (account.end_date is None or account.end_date < today):
        when = f"le {account.end_date:%d/%m/%Y}" if account.end_date else "(date absente)"
        raise LoginRefused(
            f"L'accès de ce compte tiers a pris fin {when}, avec le contrat de prestation."
        )
    convention = account.organisation.convention_signed
    if convention is None or convention > today:
        raise LoginRefused(
            f"La convention de « {account.organisation.name} » n'est pas signée : accès refusé."
        )
    return account


def record_login(username: str, today: dt.date | None = None) -> None:
    """Remember the day of the last login (the one-year inactivity rule counts from it)."""
    with _db().begin() as conn:
        conn.execute(update(accounts).where(accounts.c.username == username.strip().lower())
                     .values(last_login=_today(today)))


def review(path: Path, today: dt.date | None = None, by: str | None = None) -> Path:
    """The yearly review as Excel: unused accounts deactivated first, then every account."""
    import pandas as pd

    today = _today(today)
    deactivated_now = deactivate_unused(today, by=by)

    def rows(items: list[Account]) -> pd.DataFrame:
        return pd.DataFrame([{
            "Identifiant": a.username,
            "Nom": a.full_name,
            "Courriel": a.email,
            "Organisation": a.organisation.name,
            "Type d'organisation": ORGANISATION_KINDS[a.organisation.kind],
            "Convention signée le": a.organisation.convention_signed,
            "Rôle": ROLES[a.role] + (f" (comme {ROLES[a.acts_as].lower()})" if a.acts_as else ""),
            "Fin d'accès": a.end_date,
            "Dernière connexion": a.last_login,
            "Créé le": a.created_on,
            "Exception adresse": a.email_exception or "",
            "Désactivé le": a.deactivated_on,
            "Motif": a.deactivation_reason or "",
        } for a in items])

    everyone = list_accounts(include_inactive=True)
    active = [a for a in everyone if a.active]
    inactive = [a for a in everyone if not a.active]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        rows(active).drop(columns=["Désactivé le", "Motif"], errors="ignore").to_excel(
            xl, sheet_name="Comptes actifs", index=False)
        rows(inactive).to_excel(xl, sheet_name="Comptes désactivés", index=False)
        for sheet in xl.sheets.values():
            sheet.freeze_panes = "A2"
            for col in sheet.columns:
                sheet.column_dimensions[col[0].column_letter].width = 22
    record(operation="revue des comptes", person=by or current_person(),
           data={"date": today.isoformat(), "désactivés": ", ".join(deactivated_now)},
           rows=len(active), outcome="ok")
    return path
