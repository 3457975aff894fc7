"""The console's pages: Jinja2 templates rendered around the signed-in Principal.

Pages hold no data of their own: their scripts (static/) fetch it from /api/v1 with the session
cookie and the CSRF token from the page, so the console is one more client of the same API. No
inline script or style anywhere, so the Content-Security-Policy forbids both.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse

from services.gateway.viewer.page import page_templates

_templates = page_templates(Path(__file__).parent / "templates")

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
                           "frame-ancestors 'none'")  # frame-src: a dashboard's preview (its /view)
# no-store on every page: each carries the session's CSRF token, and some show a secret once.
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"}
# (path, label) of the navigation, in order.
SECTIONS = (("/console/dashboards", "Dashboards"), ("/console/settings/api-keys", "API keys"),
            ("/console/settings/webhooks", "Webhooks"), ("/console/settings/embedding", "Embedding"),
            ("/console/settings/project", "Project"))


def console_page(template: str, title: str, current: str, status: int = 200, **context) -> HTMLResponse:
    html = _templates.get_template(template).render(title=title, current=current, sections=SECTIONS, **context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
