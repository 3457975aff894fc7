"""Dashloom's own keys for iframe tokens: Ed25519 (JWT alg EdDSA), one series per project.

A project's keys are the aggregate `embedkey.<project_id>`: its first token makes the first key,
and a key older than ROTATE_AFTER gives way to a new one (decided on the aggregate's events, so
two replicas rotating at once append one key). Old keys keep verifying: a token lives at most a
day, so a key retired more than a day ago verifies nothing that has not expired anyway. The
private key enters the log only sealed (services/runtime/sealing.py), the kid bound in; every
sharing replica opens it with the same secrets key. Keys never change once made: cached for good.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts import EmbedSigningKeyCreated, Event
from services.eventlog.commands import execute
from services.eventlog.store import EventStore
from services.runtime.sealing import SecretBox
from services.sharing.clock import Clock

ROTATE_AFTER = timedelta(days=7)
ALGORITHM = "EdDSA"
_KID = re.compile(r"^(?P<project>[A-Za-z0-9_-]{1,128})\.(?P<serial>[0-9a-f]{12})$")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    project_id: str
    created_at: datetime
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey


def project_of_kid(kid: str) -> str | None:
    """The project a kid names, or None when it is not one of Dashloom's kids."""
    found = _KID.fullmatch(kid)
    return found["project"] if found else None


class EmbedSigningKeys:
    def __init__(self, store: EventStore, box: SecretBox, clock: Clock) -> None:
        self.store = store
        self.box = box
        self.clock = clock
        self._keys: dict[str, SigningKey] = {}  # kid -> key
        self._newest: dict[str, SigningKey] = {}  # project -> its newest key seen
        self._loaded: dict[str, int] = {}  # project -> the version of its key aggregate loaded

    async def signer(self, project_id: str) -> SigningKey:
        """The key that signs the project's tokens now: made or rotated when needed."""
        newest = self._newest.get(project_id)
        if newest is None or self._too_old(newest):
            await self._load(project_id)
            newest = self._newest.get(project_id)
        if newest is None or self._too_old(newest):
            await execute(self.store, EmbedSigningKeyCreated.aggregate, project_id, self._decide(project_id))
            await self._load(project_id)
            newest = self._newest[project_id]
        return newest

    async def verifier(self, kid: str) -> SigningKey | None:
        """The key a token's kid names; None for a kid Dashloom never made."""
        project_id = project_of_kid(kid)
        if kid not in self._keys and project_id is not None:
            # one direct get, not a reload, for a kid that is not there (a forger's guess)
            version = await self.store.aggregate_version(EmbedSigningKeyCreated.aggregate, project_id)
            if version != self._loaded.get(project_id):
                await self._load(project_id)
        return self._keys.get(kid)

    def _too_old(self, key: SigningKey) -> bool:
        return self.clock.now() - key.created_at >= ROTATE_AFTER

    def _decide(self, project_id: str):
        def decide(history: Sequence[Event]) -> list[Event]:
            if history and self.clock.now() - history[-1].occurred_at < ROTATE_AFTER:
                return []  # another replica made a fresh key meanwhile
            return [self._new_key(project_id)]

        return decide

    def _new_key(self, project_id: str) -> EmbedSigningKeyCreated:
        kid = f"{project_id}.{secrets.token_hex(6)}"
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return EmbedSigningKeyCreated(project_id=project_id, aggregate_id=project_id, occurred_at=self.clock.now(),
                                      payload={"kid": kid, "public_key_pem": public,
                                               "sealed_private_key": self.box.seal(pem, kid)})

    async def _load(self, project_id: str) -> None:
        history = await self.store.load(EmbedSigningKeyCreated.aggregate, project_id)
        self._loaded[project_id] = history[-1].seq if history else 0
        for stored in history:
            event = stored.event
            if not isinstance(event, EmbedSigningKeyCreated) or event.project_id != project_id:
                continue
            key = self._keys.get(event.payload.kid) or self._opened(event)
            self._keys[key.kid] = key
            self._newest[project_id] = key

    def _opened(self, event: EmbedSigningKeyCreated) -> SigningKey:
        payload = event.payload
        private = serialization.load_pem_private_key(self.box.open(payload.sealed_private_key, payload.kid).encode(),
                                                     password=None)
        public = serialization.load_pem_public_key(payload.public_key_pem.encode())
        assert isinstance(private, Ed25519PrivateKey) and isinstance(public, Ed25519PublicKey)
        return SigningKey(payload.kid, event.project_id, event.occurred_at, public, private)
