"""The dashboard as an HTML page: KPI cards, charts drawn in the browser, the top rows, notes.

The page holds no inline script: each chart's spec is JSON data in the page, and viewer.js
(served with the Vega bundle) draws them, so the Content-Security-Policy can forbid inline code.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

VIEWER_TEMPLATES = Path(__file__).parent / "templates"


def page_templates(folder: Path) -> Environment:
    """A feature's page templates: its own folder first, then the viewer's (`page.html`, the shared head)."""
    return Environment(loader=ChoiceLoader([FileSystemLoader(folder), FileSystemLoader(VIEWER_TEMPLATES)]),
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


_templates = page_templates(VIEWER_TEMPLATES)

# Vega compiles its expressions with Function(): 'unsafe-eval' is the price of drawing charts.
# vega-embed adds a <style> element: hence 'unsafe-inline' for styles (never for scripts).
def page_headers(frame_ancestors: str = "'none'") -> dict[str, str]:
    """The page's headers; `frame_ancestors`: who may frame it (an embed: the project's embed origins)."""
    policy = ("default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
              f"form-action 'none'; frame-ancestors {frame_ancestors}")
    return {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}


PAGE_HEADERS = page_headers()


def render_dashboard_page(spec: dict, bundle_url: str) -> str:
    cards = spec.get("cards", [])
    return _templates.get_template("dashboard.html").render(
        title=spec.get("title", "Dashboard"), layout=spec.get("layout", "grid"), rows=spec.get("rows", 0),
        columns=len(spec.get("columns", [])), kpis=[c for c in cards if c["kind"] == "kpi"],
        cards=[c for c in cards if c["kind"] != "kpi"], bundle_url=bundle_url)


def render_empty_page(name: str) -> str:
    """A dashboard made for a tenant that has no data yet: a page that says so."""
    return _templates.get_template("empty.html").render(name=name)
