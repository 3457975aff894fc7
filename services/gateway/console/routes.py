"""/console: the pages a person uses, and POST /api/v1/console-sessions, which signs them in.

Signing in sends the API key once, as a bearer, to POST /api/v1/console-sessions: the one auth
layer checks it like any key (failed-auth lockout included) and the answer sets the session
cookie. Every page below answers to that cookie (middleware.py resolves it into the key's
Principal, kind "console_session"); the sign-in page and the static files need none.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel

from contracts.webhooks import PUBLIC_EVENT_TYPES
from services.gateway.console.pages import PAGE_HEADERS, console_page
from services.gateway.edge.auth import Principal
from services.gateway.edge.bounds import ResourceId
from services.gateway.edge.dependencies import Caller, ScopedRoute, State
from services.gateway.edge.envelope import ApiError, Success, ok
from services.gateway.edge.sessions import SESSION_COOKIE, ConsoleSession
from services.gateway.edge.state import state_of
from services.gateway.keys.format import key_digest

router = APIRouter(include_in_schema=False)
api = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Console"])
STATIC = Path(__file__).parent / "static"
STATIC_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


class SessionOpened(BaseModel):
    project_id: str
    expires_at: datetime


@api.post("/console-sessions", status_code=201, response_model=Success[SessionOpened])
async def open_console_session(caller: Caller, request: Request, state: State):
    """Sign in to the console: send the API key as the bearer; the answer sets the session cookie."""
    if caller.kind != "api_key":
        raise ApiError(403, "a console session is opened with an API key in the Authorization header")
    token = request.headers["authorization"].partition(" ")[2].strip()
    sessions = state.console_sessions
    session_id, session = await sessions.open(key_digest(token), caller)
    answer = ok({"project_id": session.project_id, "expires_at": session.expires_at.isoformat()}, 201)
    answer.set_cookie(SESSION_COOKIE, session_id, max_age=int(sessions.max_age), path="/", httponly=True,
                      samesite="strict", secure=_secure(request))
    return answer


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or state_of(request.app).settings.public_url.startswith("https://")


def _signed_in(request: Request) -> tuple[Principal, ConsoleSession]:
    state = request.scope.get("state", {})
    return state["principal"], state["console_session"]  # set by the auth layer for every /console page


def _page(request: Request, template: str, title: str, current: str, **context) -> Response:
    principal, session = _signed_in(request)
    return console_page(template, title, current, principal=principal, csrf=session.csrf, **context)


@router.get("/console")
async def console_home() -> Response:
    return RedirectResponse("/console/dashboards", status_code=303, headers=PAGE_HEADERS)


@router.get("/console/sign-in")
async def sign_in(request: Request) -> Response:
    return console_page("sign_in.html", "Sign in", "", principal=None, csrf="",
                        signed_out="signed-out" in request.query_params)


@router.post("/console/sign-in")
async def sign_in_without_script() -> Response:
    """Only reached when the page's script did not run; the form posts (never GETs) so that a key
    typed there never lands in a URL, a history or an access log. The body is not read."""
    return console_page("sign_in.html", "Sign in", "", status=400, principal=None, csrf="", needs_script=True)


@router.post("/console/sign-out")
async def sign_out(request: Request, state: State) -> Response:
    """A plain form (the auth layer checked its CSRF field): the session ends on the server."""
    _, session = _signed_in(request)
    await state.console_sessions.close(session)
    answer = RedirectResponse("/console/sign-in?signed-out", status_code=303, headers=PAGE_HEADERS)
    answer.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return answer


@router.get("/console/dashboards")
async def dashboards_page(request: Request) -> Response:
    return _page(request, "dashboards.html", "Dashboards", "/console/dashboards")


@router.get("/console/dashboards/{dashboard_id}")
async def dashboard_page(dashboard_id: ResourceId, request: Request) -> Response:
    return _page(request, "dashboard.html", "Dashboard", "/console/dashboards", dashboard_id=dashboard_id)


@router.get("/console/settings/api-keys")
async def api_keys_page(request: Request) -> Response:
    return _page(request, "api_keys.html", "API keys", "/console/settings/api-keys")


@router.get("/console/settings/webhooks")
async def webhooks_page(request: Request) -> Response:
    events = [name for name in PUBLIC_EVENT_TYPES if name != "webhook.test"]  # a test is sent on request only
    return _page(request, "webhooks.html", "Webhooks", "/console/settings/webhooks", event_types=events)


@router.get("/console/settings/embedding")
async def embedding_page(request: Request) -> Response:
    return _page(request, "embedding.html", "Embedding", "/console/settings/embedding")


@router.get("/console/settings/project")
async def project_page(request: Request) -> Response:
    return _page(request, "project.html", "Project", "/console/settings/project")


@router.get("/console/static/{name}")
async def static_file(name: str) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, "no such file")
    return FileResponse(path, headers=STATIC_HEADERS)
