"""What the gateway asks the sharing service, over NATS request-reply, and how it answers.

Subject: commands.sharing.<name>. Every answer is `{"ok": true, "data": ...}` or
`{"ok": false, "status": <HTTP status>, "error": "..."}`; the gateway maps it to its envelope.
Nothing here is stored: the token and the session travel once, in the answer that creates them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

COMMAND_ROOT = "commands.sharing"
COMMANDS = ("issue", "revoke", "list", "get", "views", "open", "request_code", "verify_code")


def command_subject(name: str) -> str:
    return f"{COMMAND_ROOT}.{name}"


class Caller(BaseModel):
    """The authenticated API key's project, as the gateway established it."""

    project_id: str
    plan: str
    key_id: str | None = None


class IssueLink(BaseModel):
    caller: Caller
    dashboard_id: str
    allowed_emails: list[str] | None = None
    expires_at: datetime | None = None


class LinkQuery(BaseModel):
    caller: Caller
    link_id: str
    limit: int = 100
    offset: int = 0


class RevokeLink(BaseModel):
    caller: Caller
    link_id: str
    erase: bool = False


class DashboardLinks(BaseModel):
    caller: Caller
    dashboard_id: str
    limit: int = 100
    offset: int = 0


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


# OpenLink answers with one of these `outcome`s in data:
#   view      {dashboard_id, project_id}   draw the dashboard
#   sign_in   {}                            a private link without a valid session: ask for the email
# and errors 404 (unknown token) or 410 (expired or revoked; `error` says which).
Outcome = Literal["view", "sign_in"]


def answer(data: Any) -> dict:
    return {"ok": True, "data": data}


def refusal(status: int, error: str) -> dict:
    return {"ok": False, "status": status, "error": error}
