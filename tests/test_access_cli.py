"""The administrator's command line, run as a real subprocess against a temporary home."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import run_workbench

from workbench import crypto, studies
from workbench.store import MicrodataStore


def test_accounts_register_and_review(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ok = run_workbench("accounts", "organisation", "Ville de Roubaix", "--type", "commune",
                       "--convention", "02/05/2021", home=home)
    assert "ajoutée" in ok.stdout
    added = run_workbench("accounts", "add", "jdupont", "--email", "j.dupont@ville-roubaix.fr",
                          "--nom", "Jeanne Dupont", "--organisation", "Ville de Roubaix",
                          "--role", "partner", home=home)
    assert "Voilà" in added.stdout
    refused = run_workbench("accounts", "add", "mairie", "--email", "mairie@ville-roubaix.fr",
                            "--nom", "Mairie", "--organisation", "Ville de Roubaix",
                            "--role", "partner", home=home, check=False)
    assert refused.returncode == 1
    assert "adresse générique" in refused.stdout
    tiers = run_workbench("accounts", "add", "bet", "--email", "b.et@ville-roubaix.fr",
                          "--nom", "B. Et", "--organisation", "Ville de Roubaix",
                          "--role", "third_party", "--comme", "analyst", home=home, check=False)
    assert tiers.returncode == 1 and "date de fin" in tiers.stdout
    assert "jdupont" in run_workbench("accounts", "list", home=home).stdout
    run_workbench("accounts", "deactivate", "jdupont", "--motif", "départ", home=home)
    assert "jdupont" not in run_workbench("accounts", "list", home=home).stdout
    assert "départ" in run_workbench("accounts", "list", "--tous", home=home).stdout
    review = tmp_path / "revue.xlsx"
    run_workbench("accounts", "review", "--sortie", str(review), home=home)
    gone = list(openpyxl.load_workbook(review)["Comptes désactivés"].values)
    assert gone[1][0] == "jdupont"

    verified = run_workbench("register", "verify", home=home)
    assert "Registre intègre" in verified.stdout
    export = tmp_path / "registre.xlsx"
    run_workbench("register", "export", "--sortie", str(export), home=home)
    ops = [r[3] for r in list(openpyxl.load_workbook(export)["Registre"].values)[1:]]
    assert ops == ["organisation ajoutée", "compte ajouté", "compte désactivé",
                   "revue des comptes"]
    assert all(r[2] == "tests" for r in list(openpyxl.load_workbook(export)["Registre"].values)[1:])

    con = sqlite3.connect(home / "state" / "workbench.sqlite")
    con.execute("DROP TRIGGER register_no_update")
    con.execute("UPDATE register_entries SET person = 'quelqu''un' WHERE id = 2")
    con.commit()
    tampered = run_workbench("register", "verify", home=home, check=False)
    assert tampered.returncode == 1
    assert "Registre altéré" in tampered.stdout and "entrée 2" in tampered.stdout


def test_study_declare_and_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    end = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    run_workbench("study", "declare", "Étude CIET", "--finalite", "Bilan des attributions",
                  "--fin", end, "--personne", "tests", home=home)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_USER", "tests")
    monkeypatch.delenv("WORKBENCH_STUDY", raising=False)
    MicrodataStore().write_vintage(2024, {"attributions": pd.DataFrame({"x": [1, 2]})}, {})
    key_id = studies.get("Étude CIET").key_id
    assert "en cours" in run_workbench("study", "list", home=home).stdout
    purged = run_workbench("purge", "--study", "Étude CIET", "--oui", home=home)
    assert "purgée" in purged.stdout and "Clé de chiffrement détruite" in purged.stdout
    assert not (home / "store" / "2024").exists()
    assert not crypto.key_is_available(key_id)
    assert "purgée le" in run_workbench("study", "list", home=home).stdout
    again = run_workbench("purge", "--study", "Étude CIET", "--oui", home=home, check=False)
    assert again.returncode == 1 and "déjà été purgée" in again.stdout
