"""What the gateway asks the sharing service, over NATS request-reply, and what each answers.

Subject: commands.sharing.<name>; every command names its reply type (contracts/rpc.py), and a
refusal is `Refused(code, message)`. Nothing here is stored: the token and the session travel
once, in the answer that creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.rpc import Command, subject_of

SERVICE = "sharing"


class ShareLink(BaseModel):
    id: str
    dashboard_id: str
    visibility: Literal["public", "private"]
    allowed_emails: list[str]
    token_prefix: str
    status: Literal["active", "expired", "revoked"]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    erased: bool
    view_count: int
    last_viewed_at: datetime | None


class ShareLinkWithToken(ShareLink):
    token: str


class ShareLinkPage(BaseModel):
    items: list[ShareLink]
    total: int


class ShareLinkView(BaseModel):
    viewed_at: datetime
    viewer: Literal["email", "anonymous", "erased"]
    email: str | None
    user_agent: str


class ShareLinkViewPage(BaseModel):
    items: list[ShareLinkView]
    total: int


class DashboardToDraw(BaseModel):
    """Draw this dashboard (a link or an embed opened)."""

    outcome: Literal["view"] = "view"
    dashboard_id: str
    project_id: str


class SignInNeeded(BaseModel):
    """A private link without a valid session: ask for the email."""

    outcome: Literal["sign_in"] = "sign_in"


class CodeRequested(BaseModel):
    outcome: Literal["code_requested"] = "code_requested"


class ViewerSession(BaseModel):
    outcome: Literal["session"] = "session"
    session: str
    expires_at: datetime
    max_age: int


class IframeToken(BaseModel):
    token: str
    dashboard_id: str
    expires_at: int = Field(description="Unix seconds")


class IframeTokenState(BaseModel):
    jti: str
    tenant_id: str
    workspace_id: str
    dashboard_id: str
    expires_at: int
    status: Literal["revoked"]


class TenantTokensRevoked(BaseModel):
    tenant_id: str
    revoked_at: datetime


class Caller(BaseModel):
    """The authenticated caller's project, as the gateway established it."""

    project_id: str
    plan: str
    key_id: str | None = Field(default=None, description="The API key id, or `jwt:` + SHA-256 of a tenant JWT's sub")
    tenant_ids: list[str] | None = Field(default=None, description="None: every tenant (an API key); "
                                                                   "else only these (a tenant JWT)")


class Paged(BaseModel):
    limit: int = 100
    offset: int = 0


class IssueLink(Command[ShareLinkWithToken]):
    subject = subject_of(SERVICE, "issue")

    caller: Caller
    dashboard_id: str
    allowed_emails: list[str] | None = None
    expires_at: datetime | None = None


class GetLink(Command[ShareLink]):
    subject = subject_of(SERVICE, "get")

    caller: Caller
    link_id: str


class LinkViews(Paged, Command[ShareLinkViewPage]):
    subject = subject_of(SERVICE, "views")

    caller: Caller
    link_id: str


class RevealLink(Command[ShareLinkWithToken]):
    """A public link's token again, for its owner to copy (a private link's recipients need no copy)."""

    subject = subject_of(SERVICE, "reveal")

    caller: Caller
    link_id: str


class RevokeLink(Command[ShareLink]):
    subject = subject_of(SERVICE, "revoke")

    caller: Caller
    link_id: str
    erase: bool = False


class DashboardLinks(Paged, Command[ShareLinkPage]):
    subject = subject_of(SERVICE, "list")

    caller: Caller
    dashboard_id: str


class OpenLink(Command[DashboardToDraw | SignInNeeded]):
    """A person's browser at /s/{token}: with the session cookie, if it has one."""

    subject = subject_of(SERVICE, "open")

    token: str = Field(max_length=200)
    session: str | None = Field(default=None, max_length=200)
    user_agent: str = ""


class RequestCode(Command[CodeRequested]):
    subject = subject_of(SERVICE, "request_code")

    token: str = Field(max_length=200)
    email: str = Field(max_length=320)
    client_address: str


class VerifyCode(Command[ViewerSession]):
    subject = subject_of(SERVICE, "verify_code")

    token: str = Field(max_length=200)
    email: str = Field(max_length=320)
    code: str = Field(max_length=20)


class IssueIframeToken(Command[IframeToken]):
    subject = subject_of(SERVICE, "issue_iframe_token")

    caller: Caller
    tenant_id: str = Field(max_length=128)
    workspace_id: str = Field(max_length=128)
    dashboard_id: str = Field(max_length=128)
    valid_until: int | None = Field(default=None, ge=0, le=10**11,
                                    description="Unix seconds; default one hour, at most 24 hours")


class RevokeIframeToken(Command[IframeTokenState]):
    subject = subject_of(SERVICE, "revoke_iframe_token")

    caller: Caller
    jti: str = Field(max_length=128)


class RevokeTenantIframeTokens(Command[TenantTokensRevoked]):
    subject = subject_of(SERVICE, "revoke_tenant_iframe_tokens")

    caller: Caller
    tenant_id: str = Field(max_length=128)


class OpenEmbed(Command[DashboardToDraw]):
    """A browser at /embed/{token}."""

    subject = subject_of(SERVICE, "open_embed")

    token: str = Field(max_length=4000)


COMMANDS: tuple[type[Command], ...] = (
    IssueLink, RevokeLink, DashboardLinks, GetLink, LinkViews, OpenLink, RequestCode, VerifyCode,
    IssueIframeToken, RevokeIframeToken, RevokeTenantIframeTokens, OpenEmbed)
