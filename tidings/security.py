"""Secrets at rest.

A secret key (SK) cannot be stored hashed: verifying an SDK-HMAC-SHA256
signature needs the key itself.  So SKs are encrypted with Fernet (AES-128-CBC +
HMAC, from `cryptography`) under a master key kept in ``<data_dir>/master.key``
(or ``TIDINGS_MASTER_KEY``).  Passwords and tokens are one-way: scrypt for
passwords (stdlib, memory-hard), SHA-256 for high-entropy tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


class SecretBox:
    def __init__(self, key: bytes):
        self._fernet = Fernet(key)
        # A MAC key of its own, derived from the master key, so tokens made
        # with it never share a key with the encryption.
        self._mac_key = hmac.new(key, b"tidings mac key", hashlib.sha256).digest()

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> SecretBox:
        env = os.environ.get("TIDINGS_MASTER_KEY")
        if env:
            return cls(env.encode())
        path = data_dir / "master.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()

    def token(self, purpose: str, subject: str, length: int = 24) -> str:
        """A stable unguessable token for ``subject`` (e.g. a template's preview
        link): the same in every process that shares the master key, nothing
        to store, and a token for one purpose is useless for another."""
        digest = hmac.new(self._mac_key, f"{purpose}\n{subject}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:length]


_SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
