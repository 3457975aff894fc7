"""Making tenant JWTs the way a customer's backend does, and the forgeries an attacker tries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HS_SECRET = "a-shared-secret-of-forty-characters-long!"


def rsa_key(bits: int = 2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(private) -> str:
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(private) -> str:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


def claims_for(audience: str, **overrides) -> dict:
    claims = {"sub": "user-42", "aud": audience, "exp": int(time.time()) + 600, "iat": int(time.time()),
              "tenant_id": "org-123"}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def signed(claims: dict, key, alg: str, kid: str | None) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid} if kid else None)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    """A token put together by hand, as an attacker does (PyJWT refuses to sign these)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(signature)}"


def hs256_with_secret(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    decode = lambda text: json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))  # noqa: E731
    return decode(header), decode(payload), signature


def with_changed(token: str, header: dict | None = None, claims: dict | None = None) -> str:
    """The token with its header or claims changed and its signature kept."""
    old_header, old_claims, signature = parts(token)
    new_header = {**old_header, **(header or {})}
    new_claims = {**old_claims, **(claims or {})}
    return f"{b64(json.dumps(new_header, separators=(',', ':')).encode())}." \
           f"{b64(json.dumps(new_claims, separators=(',', ':')).encode())}.{signature}"
