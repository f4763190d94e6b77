"""Accounts and roles: nominative addresses, conventions, third parties, inactivity, review."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from workbench import register
from workbench.access import accounts, emails
from workbench.access.accounts import AccountError, LoginRefused

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    monkeypatch.setenv("WORKBENCH_USER", "admin.mel")
    accounts.add_organisation("Métropole Européenne de Lille", "intercommunality", dt.date(2021, 3, 1))
    accounts.add_organisation("Ville de Roubaix", "commune", dt.date(2021, 5, 2))
    accounts.add_organisation("Bureau Études Nord", "consultancy", dt.date(2026, 1, 10))
    accounts.add_organisation("Bailleur sans convention", "landlord", None)
    return tmp_path


@pytest.mark.parametrize("address", [
    "contact@ville-roubaix.fr", "accueil@lillemetropole.fr", "info@bailleur.fr",
    "mairie@wattrelos.fr", "secretariat@ville-roubaix.fr", "mairie.tourcoing@ville.fr",
    "Contact+habitat@ville-roubaix.fr",
])
def test_generic_addresses_refused(home: Path, address: str) -> None:
    with pytest.raises(AccountError, match="générique"):
        accounts.add_account("jdupont", address, "Jeanne Dupont", "Ville de Roubaix", "partner")


@pytest.mark.parametrize("address", ["jeanne.dupont@gmail.com", "j.dupont@orange.fr"])
def test_webmail_refused(home: Path, address: str) -> None:
    with pytest.raises(AccountError, match="messagerie personnelle"):
        accounts.add_account("jdupont", address, "Jeanne Dupont", "Ville de Roubaix", "partner")


def test_lists_are_configurable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert emails.problem("habitat.politique@ville-roubaix.fr") is not None
    assert emails.problem("pole-logement@ville-roubaix.fr") is None
    monkeypatch.setenv("WORKBENCH_GENERIC_LOCAL_PARTS", "pole")
    monkeypatch.setenv("WORKBENCH_WEBMAIL_DOMAINS", "exemple-webmail.fr")
    assert "générique" in emails.problem("pole-logement@ville-roubaix.fr")
    assert "messagerie" in emails.problem("j.dupont@exemple-webmail.fr")


def test_documented_exception_lets_generic_address_through(home: Path) -> None:
    with pytest.raises(AccountError, match="motivée"):
        accounts.add_account("ccas", "accueil@ccas-roubaix.fr", "Accueil CCAS",
                             "Ville de Roubaix", "partner", email_exception="  ")
    acc = accounts.add_account("ccas", "accueil@ccas-roubaix.fr", "Accueil CCAS",
                               "Ville de Roubaix", "partner",
                               email_exception="poste partagé, délibération du 3 mars")
    assert accounts.check_login("ccas", today=TODAY).username == "ccas"
    assert acc.email_exception.startswith("poste partagé")
    with pytest.raises(AccountError, match="valide"):
        accounts.add_account("x", "pas-une-adresse", "X", "Ville de Roubaix", "partner",
                             email_exception="motif")


def test_organisation_rules(home: Path) -> None:
    with pytest.raises(AccountError, match="pas signée"):
        accounts.add_account("pmartin", "p.martin@bailleur.fr", "P. Martin",
                             "Bailleur sans convention", "partner")
    with pytest.raises(AccountError, match="inconnue"):
        accounts.add_account("pmartin", "p.martin@bailleur.fr", "P. Martin", "Nulle part", "partner")
    with pytest.raises(AccountError, match="comptes tiers"):
        accounts.add_account("bnord", "b.nord@ben.fr", "B. Nord", "Bureau Études Nord", "analyst")
    with pytest.raises(AccountError, match="Type d'organisation"):
        accounts.add_organisation("Autre", "club", None)


def test_roles_decide_the_interface(home: Path) -> None:
    end = TODAY + dt.timedelta(days=60)
    mel = "Métropole Européenne de Lille"
    cases = [
        ("ana", "a.lyste@lillemetropole.fr", mel, "analyst", None, None, True),
        ("adm", "a.dmin@lillemetropole.fr", mel, "administrator", None, None, True),
        ("par", "p.art@ville-roubaix.fr", "Ville de Roubaix", "partner", None, None, False),
        ("cal", "c.al@ville-roubaix.fr", "Ville de Roubaix", "commission", None, None, False),
        ("tla", "t.la@ben.fr", "Bureau Études Nord", "third_party", end, "analyst", True),
        ("tpa", "t.pa@ben.fr", "Bureau Études Nord", "third_party", end, "partner", False),
    ]
    for user, mail, org, role, fin, comme, lab in cases:
        acc = accounts.add_account(user, mail, user.upper(), org, role, end_date=fin,
                                   acts_as=comme, today=TODAY)
        assert acc.uses_lab is lab, user


def test_third_party_needs_end_date_and_expires(home: Path) -> None:
    with pytest.raises(AccountError, match="date de fin"):
        accounts.add_account("tiers", "t.iers@ben.fr", "T. Iers", "Bureau Études Nord",
                             "third_party", acts_as="analyst")
    accounts.add_account("tiers", "t.iers@ben.fr", "T. Iers", "Bureau Études Nord",
                         "third_party", acts_as="analyst", end_date=dt.date(2026, 12, 31),
                         today=TODAY)
    assert accounts.check_login("tiers", today=dt.date(2026, 12, 31)).username == "tiers"
    with pytest.raises(LoginRefused, match="a pris fin le 31/12/2026"):
        accounts.check_login("tiers", today=dt.date(2027, 1, 1))


def test_unused_for_a_year_is_deactivated_at_login(home: Path) -> None:
    accounts.add_account("vieux", "v.ieux@ville-roubaix.fr", "V. Ieux", "Ville de Roubaix",
                         "partner", today=dt.date(2025, 1, 5))
    accounts.record_login("vieux", today=dt.date(2025, 11, 20))
    assert accounts.check_login("vieux", today=dt.date(2026, 11, 20)).active
    with pytest.raises(LoginRefused, match="désactivé le 21/11/2026.*plus d'un an"):
        accounts.check_login("vieux", today=dt.date(2026, 11, 21))
    assert not accounts.get("vieux").active


def test_deactivation_and_generic_login_refusals(home: Path) -> None:
    accounts.add_account("depart", "d.epart@ville-roubaix.fr", "D. Épart", "Ville de Roubaix",
                         "partner", today=TODAY)
    accounts.deactivate("depart", "départ de la collectivité")
    with pytest.raises(LoginRefused, match="départ de la collectivité"):
        accounts.check_login("depart", today=TODAY)
    with pytest.raises(AccountError, match="déjà désactivé"):
        accounts.deactivate("depart", "encore")
    with pytest.raises(LoginRefused, match="Aucun compte"):
        accounts.check_login("inconnu", today=TODAY)


def test_every_change_is_in_the_register(home: Path) -> None:
    accounts.add_account("ana", "a.lyste@lillemetropole.fr", "Ana Lyste",
                         "Métropole Européenne de Lille", "analyst")
    accounts.deactivate("ana", "départ")
    frame = register.entries_frame()
    ops = list(frame["Opération"])
    assert ops.count("organisation ajoutée") == 4
    assert ops[-2:] == ["compte ajouté", "compte désactivé"]
    assert "ana" in frame["Données concernées"].iloc[-1]
    assert set(frame["Personne"]) == {"admin.mel"}
    assert register.verify().ok


def test_yearly_review_excel(home: Path, tmp_path: Path) -> None:
    accounts.add_account("ana", "a.lyste@lillemetropole.fr", "Ana Lyste",
                         "Métropole Européenne de Lille", "analyst", today=dt.date(2026, 1, 2))
    accounts.add_account("oubli", "o.ubli@ville-roubaix.fr", "O. Ubli", "Ville de Roubaix",
                         "partner", today=dt.date(2025, 1, 2))
    accounts.record_login("ana", today=dt.date(2026, 10, 1))
    out = accounts.review(tmp_path / "revue.xlsx", today=TODAY)
    book = openpyxl.load_workbook(out)
    active = list(book["Comptes actifs"].values)
    assert active[0][:4] == ("Identifiant", "Nom", "Courriel", "Organisation")
    assert [r[0] for r in active[1:]] == ["ana"]
    header = active[0]
    assert active[1][header.index("Dernière connexion")].date() == dt.date(2026, 10, 1)
    assert active[1][header.index("Rôle")] == "Analyste"
    gone = list(book["Comptes désactivés"].values)
    assert [r[0] for r in gone[1:]] == ["oubli"]
