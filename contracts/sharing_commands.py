"""What the gateway asks the sharing service, over NATS request-reply, and how it answers.

Subject: commands.sharing.<name>. Every answer is `{"ok": true, "data": ...}` or
`{"ok": false, "status": <HTTP status>, "error": "..."}`; the gateway maps it to its envelope.
Nothing here is stored: the token and the session travel once, in the answer that creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

COMMAND_ROOT = "commands.sharing"
COMMANDS = ("issue", "revoke", "list", "get", "views", "open", "request_code", "verify_code",
            "issue_iframe_token", "revoke_iframe_token", "revoke_tenant_iframe_tokens", "open_embed")


def command_subject(name: str) -> str:
    return f"{COMMAND_ROOT}.{name}"


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


class IssueLink(BaseModel):
    caller: Caller
    dashboard_id: str
    allowed_emails: list[str] | None = None
    expires_at: datetime | None = None


class LinkQuery(Paged):
    caller: Caller
    link_id: str


class RevokeLink(BaseModel):
    caller: Caller
    link_id: str
    erase: bool = False


class DashboardLinks(Paged):
    caller: Caller
    dashboard_id: str


class OpenLink(BaseModel):
    """A person's browser at /s/{token}: with the session cookie, if it has one."""

    token: str = Field(max_length=200)
    session: str | None = Field(default=None, max_length=200)
    user_agent: str = ""


class RequestCode(BaseModel):
    token: str = Field(max_length=200)
    email: str = Field(max_length=320)
    client_address: str


class VerifyCode(BaseModel):
    token: str = Field(max_length=200)
    email: str = Field(max_length=320)
    code: str = Field(max_length=20)


class IssueIframeToken(BaseModel):
    caller: Caller
    tenant_id: str = Field(max_length=128)
    workspace_id: str = Field(max_length=128)
    dashboard_id: str = Field(max_length=128)
    valid_until: int | None = Field(default=None, ge=0, le=10**11,
                                    description="Unix seconds; default one hour, at most 24 hours")


class RevokeIframeToken(BaseModel):
    caller: Caller
    jti: str = Field(max_length=128)


class RevokeTenantIframeTokens(BaseModel):
    caller: Caller
    tenant_id: str = Field(max_length=128)


class OpenEmbed(BaseModel):
    """A browser at /embed/{token}."""

    token: str = Field(max_length=4000)


# IssueIframeToken answers {token, dashboard_id, expires_at (unix seconds)}. OpenEmbed answers
# {"outcome": "view", dashboard_id, project_id}, else 401 (not a token Dashloom signed, or changed)
# or 410 (expired, revoked, or its dashboard deleted; `error` says which).
# OpenLink answers {"outcome": "view", dashboard_id, project_id} (draw the dashboard) or
# {"outcome": "sign_in"} (a private link without a valid session: ask for the email), else
# 404 (unknown token) or 410 (expired or revoked; `error` says which). VerifyCode answers
# {"outcome": "session", session, expires_at, max_age}; a wrong code, 422 whatever was wrong.


def answer(data: Any) -> dict:
    return {"ok": True, "data": data}


def refusal(status: int, error: str) -> dict:
    return {"ok": False, "status": status, "error": error}
