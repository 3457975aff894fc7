"""Secrets that must ride in events, sealed: AES-GCM under the deployment's secrets key.

What a secret belongs to (an endpoint id, a key id) is bound in as associated data, so a sealed
secret copied onto another thing does not open. The key is DASHLOOM_SECRETS_KEY (base64 of 32
bytes) or, on the embedded default, generated once into `<state_dir>/secrets.key`. Every replica
of every service that opens sealed secrets must hold the same key.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)
SEALED_PREFIX = "v1."
KEY_FILE = "secrets.key"


class SecretUnreadable(Exception):
    """The sealed secret was made under another key, or was changed."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the secrets key must be 32 bytes (base64 in DASHLOOM_SECRETS_KEY)")
        self._aead = AESGCM(key)

    def seal(self, secret: str, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), bound_to.encode())
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, bound_to: str) -> str:
        raw = base64.b64decode(sealed.removeprefix(SEALED_PREFIX))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
        except InvalidTag as error:
            raise SecretUnreadable(bound_to) from error


def secrets_key(configured: str, state_dir: Path) -> bytes:
    """The configured key, else the state folder's key file, made (mode 0600) when missing."""
    if configured:
        return base64.b64decode(configured)
    path = state_dir / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another service of this machine made it a moment ago
            return base64.b64decode(path.read_text().strip())
        with os.fdopen(descriptor, "w") as file:
            file.write(base64.b64encode(secrets.token_bytes(32)).decode())
        log.info("secrets key generated into %s", path)
    return base64.b64decode(path.read_text().strip())


def secret_box(configured: str, state_dir: Path) -> SecretBox:
    return SecretBox(secrets_key(configured, state_dir))
