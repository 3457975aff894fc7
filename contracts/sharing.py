"""Events of share links. Subject: events.sharelink.<link_id>"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel

from contracts.envelope import Event


class ShareLinkIssuedPayload(BaseModel):
    dashboard_id: str
    visibility: Literal["public", "private"]
    allowed_emails: list[str] = []
    expires_at: AwareDatetime
    token_sha256: str


class ShareLinkIssued(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkIssued"] = "ShareLinkIssued"
    version: Literal[1] = 1
    payload: ShareLinkIssuedPayload


class ShareLinkRevokedPayload(BaseModel):
    reason: str | None = None


class ShareLinkRevoked(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkRevoked"] = "ShareLinkRevoked"
    version: Literal[1] = 1
    payload: ShareLinkRevokedPayload
