"""Nominative professional e-mail addresses only (conventions: no generic address, save exception).

The lists below are defaults; a deployment adds its own through ``WORKBENCH_GENERIC_LOCAL_PARTS``
and ``WORKBENCH_WEBMAIL_DOMAINS`` (comma-separated), without touching the code.
"""

from __future__ import annotations

import os
import re

GENERIC_LOCAL_PARTS = frozenset({
    "accueil", "admin", "administratif", "administration", "bonjour", "bureau", "cabinet",
    "commande", "communication", "compta", "comptabilite", "contact", "contacts", "courrier",
    "dg", "dgs", "direction", "etudes", "general", "habitat", "hello", "info", "infos",
    "information", "informations", "logement", "mail", "mairie", "no-reply", "noreply",
    "office", "postmaster", "reception", "rh", "secretariat", "service", "services",
    "standard", "support", "urbanisme", "webmaster",
})

WEBMAIL_DOMAINS = frozenset({
    "aliceadsl.fr", "aol.com", "bbox.fr", "club-internet.fr", "free.fr", "gmail.com",
    "gmx.com", "gmx.fr", "googlemail.com", "hotmail.com", "hotmail.fr", "icloud.com",
    "laposte.net", "live.com", "live.fr", "mail.com", "me.com", "msn.com", "neuf.fr",
    "numericable.fr", "orange.fr", "outlook.com", "outlook.fr", "proton.me", "protonmail.com",
    "sfr.fr", "tutanota.com", "wanadoo.fr", "yahoo.com", "yahoo.fr", "yandex.com",
})

_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._%+'-]*@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


class EmailRefused(ValueError):
    """The address is not a nominative professional address (French message)."""


def _extra(var: str) -> set[str]:
    return {x.strip().lower() for x in os.environ.get(var, "").split(",") if x.strip()}


def generic_local_parts() -> frozenset[str]:
    return GENERIC_LOCAL_PARTS | _extra("WORKBENCH_GENERIC_LOCAL_PARTS")


def webmail_domains() -> frozenset[str]:
    return WEBMAIL_DOMAINS | _extra("WORKBENCH_WEBMAIL_DOMAINS")


def problem(email: str) -> str | None:
    """Why an address is not acceptable as an account address, or None if it is."""
    email = email.strip().lower()
    if not _SHAPE.match(email):
        return f"« {email} » n'est pas une adresse électronique valide."
    local, domain = email.split("@")
    first = re.split(r"[._+-]", local.split("+")[0])[0]
    if local.split("+")[0] in generic_local_parts() or first in generic_local_parts():
        return (
            f"« {email} » est une adresse générique : les comptes sont personnels et "
            "nominatifs (adresse professionnelle de la personne)."
        )
    if domain in webmail_domains():
        return (
            f"« {email} » est une messagerie personnelle ({domain}) : une adresse "
            "professionnelle nominative est obligatoire."
        )
    return None


def check(email: str, exception: str | None = None) -> str:
    """Return the normalised address, or raise; an administrator's documented exception
    (its reason) lets a generic or webmail address through, never a malformed one."""
    normalised = email.strip().lower()
    reason = problem(normalised)
    if reason and (exception is None or not _SHAPE.match(normalised)):
        raise EmailRefused(reason)
    return normalised
