"""Studies: microdata is loaded and read only inside a declared study, then purged.

A study has a name, a purpose, an end date, the persons habilitated and its own encryption
key. The microdata store encrypts every table with the key of the study it was loaded for;
reading checks the study is current and the person habilitated. ``purge`` destroys the study's
microdata, intermediate files and key (crypto-shredding: copies left in backups become
unreadable) and leaves the published aggregates, which are kept twelve years.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, insert, select, update

from workbench import crypto
from workbench.access.database import ready
from workbench.config import paths
from workbench.register import current_person, record

DEMO_STUDY = "démo"
EVERYONE = "*"

metadata = MetaData()
studies_table = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("purpose", Text, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("persons", Text, nullable=False),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("declared_at", String(32), nullable=False),
    Column("declared_by", String(200), nullable=False),
    Column("purged_at", String(32), nullable=True),
    Column("purged_by", String(200), nullable=True),
)


class StudyError(RuntimeError):
    """A study rule refuses the operation (message in French, for the person)."""


@dataclass(frozen=True)
class Study:
    name: str
    purpose: str
    end_date: dt.date
    persons: tuple[str, ...]
    key_id: str
    declared_at: str
    declared_by: str
    purged_at: str | None

    @property
    def active(self) -> bool:
        return self.purged_at is None

    def habilitates(self, person: str) -> bool:
        return EVERYONE in self.persons or person in self.persons


def _db():  # type: ignore[no-untyped-def]
    return ready(metadata)


def _from_row(r) -> Study:  # type: ignore[no-untyped-def]
    return Study(r.name, r.purpose, r.end_date, tuple(json.loads(r.persons)), r.key_id,
                 r.declared_at, r.declared_by, r.purged_at)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def declare(name: str, purpose: str, end_date: dt.date, persons: list[str],
            by: str | None = None) -> Study:
    """Declare a study and create its key; the declaration is written to the register."""
    name = name.strip()
    if not name or not purpose.strip():
        raise StudyError("Une étude doit avoir un nom et une finalité.")
    if not persons:
        raise StudyError("Indiquez au moins une personne habilitée pour l'étude.")
    if end_date < dt.date.today():
        raise StudyError(f"La date de fin de l'étude ({end_date:%d/%m/%Y}) est déjà passée.")
    by = by or current_person()
    eng = _db()
    with eng.connect() as conn:
        if conn.execute(select(studies_table.c.id).where(studies_table.c.name == name)).first():
            raise StudyError(f"L'étude « {name} » existe déjà.")
    record(operation="étude déclarée", person=by,
           data={"étude": name, "finalité": purpose, "fin": end_date.isoformat(),
                 "personnes": ", ".join(persons)}, outcome="ok")
    key_id = crypto.create_key()
    with eng.begin() as conn:
        conn.execute(insert(studies_table).values(
            name=name, purpose=purpose.strip(), end_date=end_date, persons=json.dumps(persons),
            key_id=key_id, declared_at=_now(), declared_by=by))
    return get(name)


def get(name: str) -> Study:
    with _db().connect() as conn:
        r = conn.execute(select(studies_table).where(studies_table.c.name == name)).first()
    if r is None:
        raise StudyError(f"Aucune étude « {name} » n'est déclarée (workbench study list).")
    return _from_row(r)


def list_studies() -> list[Study]:
    with _db().connect() as conn:
        rows = conn.execute(select(studies_table).order_by(studies_table.c.id)).all()
    return [_from_row(r) for r in rows]


def by_key(key_id: str) -> Study | None:
    with _db().connect() as conn:
        r = conn.execute(select(studies_table).where(studies_table.c.key_id == key_id)).first()
    return _from_row(r) if r else None


def for_writing(name: str | None = None) -> Study:
    """The study new microdata is loaded for: named, else the only current one, else the demo.

    The demo study (everyone habilitated, key under ``<home>/state/keys``) is created on first
    use so that ``make demo`` needs no key ceremony; a notice says a deployment does otherwise.
    """
    if name:
        study = get(name)
        _check_current(study)
        return study
    current = [s for s in list_studies() if s.active]
    if len(current) == 1:
        _check_current(current[0])
        return current[0]
    if len(current) > 1:
        raise StudyError(
            "Plusieurs études sont en cours : précisez celle pour laquelle les microdonnées sont "
            "chargées (variable WORKBENCH_STUDY) : " + ", ".join(s.name for s in current) + "."
        )
    study = declare(DEMO_STUDY, "Démonstration sur données fictives",
                    dt.date.today() + dt.timedelta(days=365), [EVERYONE], by=current_person())
    sys.stderr.write(
        f"Étude de démonstration « {DEMO_STUDY} » créée ; sa clé de chiffrement est dans "
        f"{crypto.key_dir()}. En déploiement réel, la clé est conservée hors du serveur de "
        "données et de ses sauvegardes (WORKBENCH_KEY_DIR) et chaque étude est déclarée avec "
        "« workbench study declare ».\n"
    )
    return study


def _check_current(study: Study) -> None:
    if not study.active:
        raise StudyError(f"L'étude « {study.name} » a été purgée le {study.purged_at[:10]}.")
    if study.end_date < dt.date.today():
        raise StudyError(
            f"L'étude « {study.name} » est terminée depuis le {study.end_date:%d/%m/%Y} : "
            f"ses microdonnées doivent être purgées (workbench purge --study \"{study.name}\")."
        )


def check_readable(key_id: str, person: str | None = None) -> Study:
    """Refuse to read microdata outside a current study or by a person it does not habilitate."""
    study = by_key(key_id)
    if study is None:
        raise StudyError("Ces microdonnées n'appartiennent à aucune étude déclarée : lecture refusée.")
    _check_current(study)
    person = person or current_person()
    if not study.habilitates(person):
        raise StudyError(
            f"{person} n'est pas habilité(e) à l'étude « {study.name} » : lecture des "
            "microdonnées refusée."
        )
    return study


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "etude"


def workspace(name: str) -> Path:
    """Folder for the study's intermediate files (destroyed by the purge)."""
    study = get(name)
    folder = paths().home / "studies" / f"{_slug(study.name)}-{study.key_id[:8]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class PurgeReport:
    study: str
    folders: list[str]
    files: int
    key_shredded: bool


def purge(name: str, by: str | None = None, store_root: Path | None = None) -> PurgeReport:
    """Destroy a study's microdata, intermediate files and key; keep the published base."""
    from workbench.store import MicrodataStore

    by = by or current_person()
    study = get(name)
    if not study.active:
        raise StudyError(f"L'étude « {name} » a déjà été purgée le {study.purged_at[:10]}.")
    store = MicrodataStore(store_root)
    doomed = store.folders_of_key(study.key_id)
    work = paths().home / "studies"
    doomed += [p for p in work.glob(f"*-{study.key_id[:8]}") if p.is_dir()] if work.exists() else []
    files = sum(1 for folder in doomed for p in folder.rglob("*") if p.is_file())
    record(operation="purge", person=by, data={"étude": name}, rows=files, outcome="demandée")
    shredded = crypto.shred_key(study.key_id)
    for folder in doomed:
        shutil.rmtree(folder)
    with _db().begin() as conn:
        conn.execute(update(studies_table).where(studies_table.c.name == name)
                     .values(purged_at=_now(), purged_by=by))
    outcome = "détruit" if shredded else "détruit ; clé fournie par variable d'environnement à retirer"
    record(operation="purge", person=by,
           data={"étude": name, "dossiers": ", ".join(p.name for p in doomed)},
           rows=files, outcome=outcome)
    return PurgeReport(name, [str(p) for p in doomed], files, shredded)
