"""GET /docs: Swagger UI from files we serve ourselves (the pinned swagger-ui-py wheel), no CDN; and
GET /asyncapi.json, the public events' AsyncAPI document beside /openapi.json (no key needed)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

import orjson
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from contracts.asyncapi import asyncapi_document
from services.gateway.edge.envelope import ApiError

router = APIRouter(include_in_schema=False)
SWAGGER_UI = Path(str(files("swagger_ui") / "static"))
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}


@router.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Dashloom API",
                               swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                               swagger_css_url="/docs/assets/swagger-ui.css",
                               swagger_favicon_url="/docs/assets/favicon-32x32.png")


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise ApiError(404, "no such asset")
    return FileResponse(SWAGGER_UI / name, headers=HEADERS)


@cache
def _asyncapi() -> bytes:
    return orjson.dumps(asyncapi_document())


@router.get("/asyncapi.json")
async def asyncapi() -> Response:
    return Response(_asyncapi(), media_type="application/json", headers={"Cache-Control": "public, max-age=300"})
