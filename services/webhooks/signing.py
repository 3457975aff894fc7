"""Standard Webhooks 1.0 signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""

from __future__ import annotations

import base64
import hashlib
import hmac

from services.webhooks.secrets import secret_bytes


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """One signature per secret, space-separated: during a rotation both the new and the old sign."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()
                    for secret in secrets)


def webhook_headers(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets, message_id, timestamp, body),
            "content-type": "application/json", "user-agent": "Dashloom-Webhooks/1.0"}
