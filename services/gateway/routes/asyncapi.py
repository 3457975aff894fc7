"""GET /asyncapi.json: the public events' AsyncAPI document, beside /openapi.json (no key needed)."""

from __future__ import annotations

from functools import cache

import orjson
from fastapi import APIRouter
from fastapi.responses import Response

from contracts.asyncapi import asyncapi_document

router = APIRouter()


@cache
def _document() -> bytes:
    return orjson.dumps(asyncapi_document())


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi() -> Response:
    return Response(_document(), media_type="application/json", headers={"Cache-Control": "public, max-age=300"})
