"""Identifier formats.  KooMessage ids are opaque strings; we pick formats that
look like the upstream ones so SDK users see nothing surprising."""

from __future__ import annotations

import secrets
import uuid


def uuid_id() -> str:
    return str(uuid.uuid4())


def hex32() -> str:
    return uuid.uuid4().hex


def access_key_id() -> str:
    # Huawei AKs are 20 upper-case alphanumerics.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def secret_key() -> str:
    # Huawei SKs are 40 characters.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(40))


def token() -> str:
    return "MII" + secrets.token_urlsafe(96)
