"""Endpoint signing secrets: made here, shown once, and stored only sealed.

A secret is `whsec_` + base64 of 32 random bytes (Standard Webhooks). Before it enters an event
it is sealed (services/runtime/sealing.py), the endpoint id bound in: a sealed secret copied onto
another endpoint does not open.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from services.runtime.sealing import SecretBox, SecretUnreadable, secrets_key

__all__ = ["OpenedSecrets", "SecretBox", "SecretUnreadable", "new_signing_secret", "secret_bytes", "secrets_key"]
SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


class OpenedSecrets:
    """Endpoint secrets opened once per sealed value, not at every attempt."""

    def __init__(self, box: SecretBox, size: int = 10_000) -> None:
        self.box = box
        self.size = size
        self._opened: dict[tuple[str, str], str] = {}

    def of(self, row, now: datetime) -> list[str]:
        """The secrets that sign an attempt: the current one, and the previous one during its grace."""
        secrets = [self._open(row.endpoint_id, row.sealed_secret)]
        if row.previous_sealed_secret and row.previous_valid_until and row.previous_valid_until > now:
            secrets.append(self._open(row.endpoint_id, row.previous_sealed_secret))
        return secrets

    def _open(self, endpoint_id: str, sealed: str) -> str:
        key = (endpoint_id, sealed)
        opened = self._opened.get(key)
        if opened is None:
            if len(self._opened) >= self.size:
                self._opened.clear()
            opened = self._opened[key] = self.box.open(sealed, endpoint_id)
        return opened
