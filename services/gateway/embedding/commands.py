"""What the gateway writes for embedding: tenant-JWT verification keys and the project's embed origins.

A key is the aggregate `jwtkey.<jwt_key_ref(project, kid)>`: registering decides on its events
(a live key of that kid: 409), deleting too (none: 404). An HS256 secret enters the log sealed,
bound to the key's aggregate id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from contracts import EmbedOriginsSet, Event, TenantJwtKeyDeleted, TenantJwtKeyRegistered
from contracts.embedding import jwt_key_ref
from contracts.rpc import Refused
from services.eventlog.commands import execute
from services.eventlog.store import EventStore
from services.runtime.sealing import SecretBox

MIN_SECRET_CHARS = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
MIN_RSA_BITS = 2048


class KeyRefused(ValueError):
    """The key material does not fit its algorithm; the message is for the caller."""


def public_key_fingerprint(alg: str, pem: str) -> str:
    """SHA-256 of the DER public key (first 16 hex), once the PEM is checked to suit `alg`."""
    if "PRIVATE KEY" in pem:
        raise KeyRefused("public_key_pem: give the public key, never the private one")
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise KeyRefused("public_key_pem: not a PEM public key") from None
    if alg == "RS256" and not (isinstance(key, rsa.RSAPublicKey) and key.key_size >= MIN_RSA_BITS):
        raise KeyRefused(f"public_key_pem: RS256 needs an RSA public key of at least {MIN_RSA_BITS} bits")
    if alg == "ES256" and not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        raise KeyRefused("public_key_pem: ES256 needs an EC public key on P-256")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def checked_secret(secret: str) -> str:
    if len(secret) < MIN_SECRET_CHARS:
        raise KeyRefused(f"secret: at least {MIN_SECRET_CHARS} characters for HS256")
    if "-----BEGIN" in secret:
        raise KeyRefused("secret: a PEM key is not an HS256 secret (register it with RS256 or ES256)")
    return secret


def canonical_pem(pem: str) -> str:
    """The key alone, as PEM (whatever text surrounded its block stays out of the log)."""
    key = serialization.load_pem_public_key(pem.encode())
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def register_jwt_key(store: EventStore, box: SecretBox, project_id: str, kid: str, alg: str,
                           secret: str | None, public_key_pem: str | None, scopes: Sequence[str]) -> int:
    ref = jwt_key_ref(project_id, kid)
    if alg == "HS256":
        material = {"sealed_secret": box.seal(checked_secret(secret or ""), ref), "fingerprint": None}
    else:
        fingerprint = public_key_fingerprint(alg, public_key_pem or "")
        material = {"public_key_pem": canonical_pem(public_key_pem or ""), "fingerprint": fingerprint}

    def decide(history: Sequence[Event]) -> list[Event]:
        if history and history[0].project_id != project_id:
            raise Refused("CONFLICT", "this kid cannot be used")  # a hash collision, in theory only
        if history and isinstance(history[-1], TenantJwtKeyRegistered):
            raise Refused("CONFLICT", f"a key with kid {kid!r} is registered; delete it first")
        return [TenantJwtKeyRegistered(project_id=project_id, aggregate_id=ref,
                                       payload={"kid": kid, "alg": alg, **material, "scopes": list(scopes)})]

    seq, = await execute(store, TenantJwtKeyRegistered.aggregate, ref, decide)
    return seq


async def delete_jwt_key(store: EventStore, project_id: str, kid: str) -> int:
    ref = jwt_key_ref(project_id, kid)

    def decide(history: Sequence[Event]) -> list[Event]:
        if not history or history[0].project_id != project_id or not isinstance(history[-1], TenantJwtKeyRegistered):
            raise Refused("NOT_FOUND", "no such JWT key")
        return [TenantJwtKeyDeleted(project_id=project_id, aggregate_id=ref, payload={"kid": kid})]

    seq, = await execute(store, TenantJwtKeyDeleted.aggregate, ref, decide)
    return seq


async def set_embed_origins(store: EventStore, project_id: str, origins: list[str]) -> int:
    return await store.append(EmbedOriginsSet(project_id=project_id, aggregate_id=project_id,
                                              payload={"origins": origins}))
