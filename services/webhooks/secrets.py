"""Endpoint signing secrets: made here, shown once, and stored only sealed.

A secret is `whsec_` + base64 of 32 random bytes (Standard Webhooks). Before it enters an event
it is sealed (services/runtime/sealing.py), the endpoint id bound in: a sealed secret copied onto
another endpoint does not open.
"""

from __future__ import annotations

import base64
import secrets

from services.runtime.sealing import SecretBox, SecretUnreadable, secrets_key

__all__ = ["SecretBox", "SecretUnreadable", "new_signing_secret", "secret_bytes", "secrets_key"]
SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))
