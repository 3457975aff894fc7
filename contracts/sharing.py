"""Events of share links. Subjects: events.sharelink.<link_id>, events.sharelinkview.<link_id>

No event carries an email address or a secret in the clear. Addresses appear only as keyed
hashes (HMAC-SHA256 under the link's own key, which the sharing service keeps outside the log
and destroys when the link is erased); tokens, codes and sessions only as hashes.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from contracts.dashboard_ids import DASHBOARD_ID_PATTERN, canonical_dashboard_id
from contracts.envelope import Event
from contracts.upcasting import JsonObject, upcaster

Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class ShareLinkIssuedPayload(BaseModel):
    dashboard_id: str = Field(pattern=DASHBOARD_ID_PATTERN)
    visibility: Literal["public", "private"]
    allowed_email_hashes: list[Digest] = Field(default=[], description="HMAC-SHA256 of each allowed address "
                                                                      "under the link's key")
    expires_at: AwareDatetime
    token_sha256: Digest
    token_prefix: str = Field(description="The token's first characters, to recognise a link in a list")
    issued_by_key_id: str | None = None
    sealed_token: str | None = Field(default=None, description=(
        "A public link's token sealed with AES-GCM under the sharing service's secrets key (bound to the link's id), "
        "so its owner can copy the link again; never in the clear. None: a private link, or one issued before"))


class ShareLinkIssued(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkIssued"] = "ShareLinkIssued"
    version: Literal[3] = 3
    payload: ShareLinkIssuedPayload


@upcaster("ShareLinkIssued", from_version=1)
def _share_link_issued_v1_to_v2(data: JsonObject) -> JsonObject:
    """v1 named allowed addresses in the clear (no service ever issued it): they are not carried
    over, so such a private link admits nobody."""
    old = data["payload"]
    data["payload"] = {"dashboard_id": old["dashboard_id"], "visibility": old["visibility"],
                       "allowed_email_hashes": [], "expires_at": old["expires_at"],
                       "token_sha256": old["token_sha256"], "token_prefix": ""}
    return data


@upcaster("ShareLinkIssued", from_version=2)
def _share_link_issued_v2_to_v3(data: JsonObject) -> JsonObject:
    """v2 could name a dashboard by its untyped id `d<generation id>`, now `dsh_<generation id>`."""
    data["payload"] = {**data["payload"], "dashboard_id": canonical_dashboard_id(data["payload"]["dashboard_id"])}
    return data


class ShareLinkRevokedPayload(BaseModel):
    reason: str | None = None


class ShareLinkRevoked(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkRevoked"] = "ShareLinkRevoked"
    version: Literal[1] = 1
    payload: ShareLinkRevokedPayload


class ShareLinkErasedPayload(BaseModel):
    reason: str | None = None


class ShareLinkErased(Event):
    """The link's key and addresses were destroyed: its address hashes can no longer be linked to anyone."""

    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkErased"] = "ShareLinkErased"
    version: Literal[1] = 1
    payload: ShareLinkErasedPayload


class ShareLinkCodeSentPayload(BaseModel):
    email_hash: Digest
    code_hash: Digest
    expires_at: AwareDatetime


class ShareLinkCodeSent(Event):
    """A one-time code for (link, address) was decided; the email goes out once this is stored."""

    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkCodeSent"] = "ShareLinkCodeSent"
    version: Literal[1] = 1
    payload: ShareLinkCodeSentPayload


class ShareLinkCodeRejectedPayload(BaseModel):
    email_hash: Digest
    code_hash: Digest = Field(description="The code it answers to (the latest sent to that address)")


class ShareLinkCodeRejected(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkCodeRejected"] = "ShareLinkCodeRejected"
    version: Literal[1] = 1
    payload: ShareLinkCodeRejectedPayload


class ShareLinkSessionOpenedPayload(BaseModel):
    email_hash: Digest
    code_hash: Digest = Field(description="The code it used up")
    session_sha256: Digest
    expires_at: AwareDatetime


class ShareLinkSessionOpened(Event):
    aggregate: ClassVar[str] = "sharelink"
    type: Literal["ShareLinkSessionOpened"] = "ShareLinkSessionOpened"
    version: Literal[1] = 1
    payload: ShareLinkSessionOpenedPayload


class ShareLinkViewedPayload(BaseModel):
    viewer_email_hash: Digest | None = Field(default=None, description="None: a public link's anonymous viewer")
    user_agent: str = Field(default="", max_length=512)


class ShareLinkViewed(Event):
    """One opening of the dashboard through a link; aggregate_id is the link's id. Views live on
    their own subject so the link's aggregate stays small however often it is opened."""

    aggregate: ClassVar[str] = "sharelinkview"
    type: Literal["ShareLinkViewed"] = "ShareLinkViewed"
    version: Literal[1] = 1
    payload: ShareLinkViewedPayload
