"""/s/{token}: a shared dashboard for anyone with the link, no API key (the middleware guards only /api/v1).

A public link draws the dashboard with the same viewer as /view. A private link asks for an
email, then for the code the sharing service emailed, and opens a viewer session: a cookie
(HttpOnly, SameSite=Lax, Secure behind https, path /s/{token}) that the sharing service checks
against the link's events at every view, so revoking the link ends it at once. Plain forms:
it all works without JavaScript.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from contracts.rpc import Refused
from contracts.sharing_commands import OpenLink, RequestCode, SignInNeeded, VerifyCode
from services.gateway.edge.dependencies import Commands, State
from services.gateway.edge.envelope import refused_status
from services.gateway.edge.middleware import policy_name
from services.gateway.edge.ratelimit import Decision, kv_token
from services.gateway.edge.state import GatewayState
from services.gateway.viewer.page import page_templates
from services.gateway.viewer.routes import page_or_none

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "dashloom_share_session"
TOKEN_PATTERN = r"^sl_[A-Za-z0-9_-]{20,100}$"
_templates = page_templates(Path(__file__).parent / "templates")
FORM_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    "X-Frame-Options": "DENY"}
HEADINGS = {404: "No such link", 410: "This link no longer works", 429: "Too many tries",
            503: "Try again shortly"}
Email = Annotated[str, Form(max_length=320)]


def share_form(step: str, token: str, heading: str, message: str = "", email: str = "",
               status: int = 200) -> HTMLResponse:
    html = _templates.get_template("share.html").render(step=step, token=token, heading=heading,
                                                       message=message, email=email)
    return HTMLResponse(html, status_code=status, headers=FORM_HEADERS)


def refused_page(refused: Refused, token: str) -> HTMLResponse:
    status = refused_status(refused)
    return share_form("refused", token, HEADINGS.get(status, "This link did not open"), refused.message,
                      status=status)


def missing_page(token: str) -> HTMLResponse:
    return refused_page(Refused("NOT_FOUND", "There is no such link. Check that it was copied whole."), token)


@router.get("/s/{token}")
async def open_shared_dashboard(token: str, request: Request, commands: Commands, state: State) -> Response:
    if not _well_formed(token):
        return missing_page(token)
    if not (budget := await view_budget(request, state, token)).allowed:
        crowded = share_form("refused", token, HEADINGS[429],
                             "This link was opened too often from here: try again in a minute.", status=429)
        crowded.headers.update(budget.headers())
        return crowded
    command = OpenLink(token=token, session=request.cookies.get(SESSION_COOKIE),
                       user_agent=request.headers.get("user-agent", ""))
    try:
        opened = await commands.ask(command)
    except Refused as refused:
        return refused_page(refused, token)
    if isinstance(opened, SignInNeeded):
        return share_form("email", token, "This dashboard was shared with named people",
                          "Enter your email address: if it may open this dashboard, we will email you a code.")
    page = await page_or_none(request, opened.dashboard_id, opened.project_id)
    if page is None:
        return refused_page(Refused("GONE", "This dashboard was deleted."), token)
    return page


@router.post("/s/{token}/code")
async def request_code(token: str, email: Email, request: Request, commands: Commands) -> Response:
    if not _well_formed(token):
        return missing_page(token)
    client = request.client.host if request.client else "unknown"
    try:
        await commands.ask(RequestCode(token=token, email=email, client_address=client))
    except Refused as refused:
        if refused.code == "VALIDATION_ERROR":  # not an address at all: ask again
            return share_form("email", token, "Check the address", refused.message, email, status=422)
        return refused_page(refused, token)
    # The same answer whether or not the address may open the link: nothing to learn here.
    return share_form("code", token, "Check your email",
                      "If this address may open the dashboard, a 6-digit code is on its way to it. "
                      "It works for 10 minutes.", email)


@router.post("/s/{token}/session")
async def open_session(token: str, email: Email, code: Annotated[str, Form(max_length=20)],
                       request: Request, commands: Commands) -> Response:
    if not _well_formed(token):
        return missing_page(token)
    try:
        opened = await commands.ask(VerifyCode(token=token, email=email, code=code))
    except Refused as refused:
        if refused.code == "VALIDATION_ERROR":
            return share_form("code", token, "Check the code", refused.message, email, status=422)
        return refused_page(refused, token)
    answer = RedirectResponse(f"/s/{token}", status_code=303, headers=FORM_HEADERS)
    answer.set_cookie(SESSION_COOKIE, opened.session, max_age=opened.max_age, path=f"/s/{token}",
                      httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return answer


async def view_budget(request: Request, state: GatewayState, token: str) -> Decision:
    """One opening of this link from this address: every view is an event in the log, so one
    address may not write them without bound. The link is keyed by a hash: no token in the bucket."""
    client = kv_token(request.client.host if request.client else "unknown")
    link = hashlib.sha256(token.encode()).hexdigest()[:32]
    return await state.limiter.hit(f"shareview.{client}.{link}", state.settings.share_views_per_minute, 60,
                                   policy_name(60))


def _well_formed(token: str) -> bool:
    return re.fullmatch(TOKEN_PATTERN, token) is not None
