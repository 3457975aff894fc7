"""/embed/{token}: a tenant's dashboard inside the customer's page, no API key (the auth layer
guards only /api/v1).

The sharing service verifies the token (signature, claims, expiry, revocations, the dashboard not
deleted); the page is the one viewer renderer's (a dashboard with no data yet: a page that says so),
framed only by the project's embed origins (`frame-ancestors`; none set: 'none'), with no referrer
and no caching. The page asks for nothing
but the viewer's public assets: no data beyond that dashboard travels.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from contracts.rpc import Refused
from contracts.sharing_commands import OpenEmbed
from services.gateway.edge.dependencies import Commands, ReadModels, off_the_loop
from services.gateway.edge.envelope import refused_status
from services.gateway.embedding import queries
from services.gateway.viewer.page import page_headers, page_templates
from services.gateway.viewer.routes import page_or_none

router = APIRouter(include_in_schema=False)
MAX_TOKEN_CHARS = 4000
_templates = page_templates(Path(__file__).parent / "templates")
HEADINGS = {401: "This embed link is not valid", 404: "No such dashboard", 410: "This embed link no longer works",
            503: "Try again shortly"}
REFUSED_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def refused_page(refused: Refused) -> HTMLResponse:
    status = refused_status(refused)
    status = status if status in HEADINGS else 401
    html = _templates.get_template("refused.html").render(heading=HEADINGS[status], message=refused.message)
    return HTMLResponse(html, status_code=status, headers=REFUSED_HEADERS)


@router.get("/embed/{token}")
async def embedded_dashboard(token: str, request: Request, commands: Commands, engine: ReadModels) -> Response:
    if len(token) > MAX_TOKEN_CHARS:
        return refused_page(Refused("UNAUTHORIZED", "This embed link is not valid."))
    try:
        opened = await commands.ask(OpenEmbed(token=token))
    except Refused as refused:
        return refused_page(refused)
    page = await page_or_none(request, opened.dashboard_id, opened.project_id)
    if page is None:
        return refused_page(Refused("GONE", "This dashboard was deleted."))
    origins = await off_the_loop(engine, lambda conn: queries.origins_of(conn, opened.project_id))
    page.headers.update(page_headers(frame_ancestors=" ".join(origins) or "'none'"))
    return page
