"""Encryption at rest of the microdata store: AES-256-GCM, one key per study, keys kept apart.

Every encrypted file is ``MAGIC | key id (16 bytes) | nonce (12 bytes) | ciphertext+tag``; the
header and the table name are authenticated, so a file cannot be swapped for another. Keys live
outside the store: one file per key in ``WORKBENCH_KEY_DIR`` (default ``<home>/state/keys``), or
an environment variable ``WORKBENCH_KEY_<KEY ID>`` holding the key in base64. Destroying a key
(crypto-shredding) makes every file written with it unreadable, backups included.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workbench.config import paths

MAGIC = b"WBAES1"
KEY_ID_BYTES = 16
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + KEY_ID_BYTES + NONCE_BYTES


class CryptoError(RuntimeError):
    """An encrypted file cannot be read (key absent or destroyed, or file altered)."""


def key_dir() -> Path:
    """Folder of key files; a deployment points ``WORKBENCH_KEY_DIR`` off the data server."""
    env = os.environ.get("WORKBENCH_KEY_DIR")
    return Path(env) if env else paths().state / "keys"


def _key_env(key_id: str) -> str:
    return f"WORKBENCH_KEY_{key_id.upper()}"


def key_path(key_id: str) -> Path:
    return key_dir() / f"{key_id}.key"


def create_key() -> str:
    """Generate a 256-bit key, store it (owner-only file) and return its id."""
    key_id = secrets.token_hex(KEY_ID_BYTES)
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    fd = os.open(key_path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")
    return key_id


def load_key(key_id: str) -> bytes:
    """The key bytes, from the environment first, then the key folder."""
    raw = os.environ.get(_key_env(key_id))
    if raw is None:
        path = key_path(key_id)
        try:
            raw = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise CryptoError(
                f"Clé de chiffrement {key_id} introuvable ({path} ou variable {_key_env(key_id)}) : "
                "les microdonnées de cette étude ne sont pas lisibles (clé absente ou détruite)."
            ) from None
    key = base64.b64decode(raw.strip())
    if len(key) != 32:
        raise CryptoError(f"Clé de chiffrement {key_id} invalide (256 bits attendus).")
    return key


def key_is_available(key_id: str) -> bool:
    return _key_env(key_id) in os.environ or key_path(key_id).exists()


def encrypt(data: bytes, key_id: str, context: str) -> bytes:
    """Encrypt ``data`` with the key ``key_id``; ``context`` (e.g. the table name) is bound in."""
    header = MAGIC + bytes.fromhex(key_id) + secrets.token_bytes(NONCE_BYTES)
    nonce = header[-NONCE_BYTES:]
    return header + AESGCM(load_key(key_id)).encrypt(nonce, data, header + context.encode())


def key_id_of(blob: bytes) -> str:
    """The id of the key an encrypted file was written with (read from its header)."""
    if len(blob) < HEADER_BYTES or not blob.startswith(MAGIC):
        raise CryptoError("Fichier non chiffré par l'atelier ou tronqué.")
    return blob[len(MAGIC) : len(MAGIC) + KEY_ID_BYTES].hex()


def decrypt(blob: bytes, context: str) -> bytes:
    """Decrypt a file written by :func:`encrypt` for the same ``context``."""
    key_id = key_id_of(blob)
    header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
    try:
        return AESGCM(load_key(key_id)).decrypt(header[-NONCE_BYTES:], body, header + context.encode())
    except InvalidTag:
        raise CryptoError(
            f"Fichier chiffré « {context} » altéré ou clé incorrecte : lecture refusée."
        ) from None


def shred_key(key_id: str) -> bool:
    """Overwrite then delete the key file; return False if the key only lives in the environment.

    Overwriting is best effort (copy-on-write file systems keep old blocks); what matters is
    that no copy of the key remains, which is why keys must not be in the data backups.
    """
    path = key_path(key_id)
    if path.exists():
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            fh.write(secrets.token_bytes(size))
            fh.flush()
            os.fsync(fh.fileno())
        path.unlink()
        return True
    return False
