"""One envelope for every JSON answer, and the error codes it can carry.

Success: {"success": true, "data": ...} (lists add "pagination").
Failure: {"success": false, "error": "...", "code": "..."}, from anything that goes wrong,
FastAPI's own validation and unknown routes included, never with internal detail.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from contracts.rpc import Refused
from services.eventlog.connection import BUS_UNAVAILABLE

log = logging.getLogger(__name__)
T = TypeVar("T")

ERROR_CODES: dict[int, str] = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 410: "GONE", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 500: "SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
ErrorCode = Literal["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED",
                    "CONFLICT", "GONE", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
                    "VALIDATION_ERROR", "RATE_LIMITED", "SERVER_ERROR", "SERVICE_UNAVAILABLE"]


STATUS_OF: dict[str, int] = {code: status for status, code in ERROR_CODES.items()}


def refused_status(refused: Refused) -> int:
    """The one place a service's refusal becomes an HTTP status."""
    return STATUS_OF[refused.code]


class Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    has_more: bool


class Success(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class Page(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: list[T]
    pagination: Pagination


class Failure(BaseModel):
    success: Literal[False] = False
    error: str
    code: ErrorCode


class ApiError(Exception):
    """Raise from a route to answer with the error envelope."""

    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None,
                 about: dict[str, str] | None = None) -> None:
        self.status = status
        self.error = error
        self.headers = headers
        self.about = about  # ids the client can follow up with (a failed generation's id)


def failure(status: int, error: str, headers: dict[str, str] | None = None,
            about: dict[str, str] | None = None) -> JSONResponse:
    body = {"success": False, "error": error, "code": ERROR_CODES.get(status, "SERVER_ERROR"), **(about or {})}
    return JSONResponse(body, status_code=status, headers=headers)


BUS_RETRY_AFTER_SECONDS = 2


def bus_unavailable(headers: dict[str, str] | None = None) -> JSONResponse:
    """The bus is away (restarting): nothing was done, and the same request may be sent again."""
    return failure(503, "the event bus is unavailable; try again shortly",
                   {**(headers or {}), "Retry-After": str(BUS_RETRY_AFTER_SECONDS)})


class JsonAnswer(Response):
    """A route's answer, already serialised: FastAPI then skips re-validating it against the
    declared response model (the model still documents it, and schemathesis holds us to it)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


def ok(data: Any, status: int = 200) -> JsonAnswer:
    return JsonAnswer({"success": True, "data": data}, status_code=status)


def page(items: list, total: int, limit: int, offset: int) -> JsonAnswer:
    return JsonAnswer({"success": True, "data": items,
                       "pagination": {"total": total, "limit": limit, "offset": offset,
                                      "has_more": offset + len(items) < total}})


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors()[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where}: {problem.get('msg')}" if where else str(problem.get("msg")))
    return "; ".join(parts) or "invalid request"


def _allowed_methods(request: Request) -> str:
    """Every method the routes of this path answer: Starlette names only the first route whose
    path matched. A path with a route of its own (`/dashboards/generate`) is that route's, never
    also the one of a parameter it would fill (`/dashboards/{id}`), as the OpenAPI document says."""
    matching = [route for route in _each_route(request.app.router.routes)
                if getattr(route, "methods", None) and route.matches(request.scope)[0] != Match.NONE]
    fewest = min((len(route.param_convertors) for route in matching), default=0)
    return ", ".join(sorted({method for route in matching if len(route.param_convertors) == fewest
                             for method in route.methods}))


def _each_route(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        yield from _each_route(included.routes) if included is not None else (route,)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return failure(error.status, error.error, error.headers, error.about)

    @app.exception_handler(Refused)
    async def _refused(_request: Request, refused: Refused) -> JSONResponse:
        return failure(refused_status(refused), refused.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return failure(422, _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # a body FastAPI could not even parse: invalid like any other
            return failure(422, "request body: could not be parsed")
        message = {404: "no such resource", 405: "method not allowed"}.get(error.status_code, str(error.detail))
        headers = getattr(error, "headers", None)
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return failure(error.status_code, message, headers)

    async def _bus_away(_request: Request, _error: Exception) -> JSONResponse:
        return bus_unavailable()

    for bus_error in BUS_UNAVAILABLE:
        app.add_exception_handler(bus_error, _bus_away)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return failure(500, "internal server error")


RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed in the window", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "When the window resets (unix seconds)", "schema": {"type": "integer"}},
    "RateLimit-Policy": {"description": 'IETF draft, e.g. `"hourly";q=1000;w=3600`', "schema": {"type": "string"}},
    "RateLimit": {"description": 'IETF draft, e.g. `"hourly";r=742;t=1800`', "schema": {"type": "string"}},
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_ERROR_TEXT = {401: "Missing, invalid, expired or revoked API key", 403: "The key lacks a scope or the plan",
               413: "Too large: file size, line length, rows, columns or unpacked size",
               415: "Not a format we read (CSV, TSV, JSON, NDJSON, Parquet, XLSX)",
               404: "No such resource in this project", 409: "Conflicting change", 410: "Deleted: gone for good",
               422: "Invalid parameters",
               429: "Rate limit reached", 500: "Unexpected error (no detail is given)",
               503: "A service behind the gateway is away for a moment: nothing was done, send it again after Retry-After"}


def documented(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for each error a route can answer, with the failure envelope and headers."""
    responses: dict[int | str, dict] = {}
    for status in statuses:
        headers = {**RATE_LIMIT_HEADERS, **(RETRY_AFTER if status in (429, 503) else {})}
        responses[status] = {"model": Failure, "description": _ERROR_TEXT[status], "headers": headers}
    return responses


def install_openapi(app: FastAPI, scopes: Mapping[tuple[str, str], str]) -> None:
    """The generated spec, with the bearer scheme, the rate-limit headers on every /api/v1
    operation but health, and the API-key scope each operation needs (`x-required-scope`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["HTTPBearer"] = {
                "type": "http", "scheme": "bearer",
                "description": "An API key: `Authorization: Bearer dl_live_...`"}
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    _only_declared_media_types(operation)
                if not path.startswith("/api/v1/") or path.startswith("/api/v1/health"):
                    continue
                for method, operation in operations.items():
                    _document_operation(operation, scopes.get((path, method.upper())))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def _only_declared_media_types(operation: dict[str, Any]) -> None:
    """A page or a PDF answers only its own media type: FastAPI adds an empty application/json
    beside the one a route declares, and a generated client then parses the HTML as JSON."""
    for response in operation["responses"].values():
        content = response.get("content", {})
        if len(content) > 1 and not content.get("application/json", {}).get("schema", True):
            del content["application/json"]


def _document_operation(operation: dict[str, Any], scope: str | None) -> None:
    operation["security"] = [{"HTTPBearer": []}]
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            response["headers"] = RATE_LIMIT_HEADERS
    if scope:
        operation["x-required-scope"] = str(scope)
        needs = f"Needs an API key with the `{scope}` scope."
        operation["description"] = f"{operation.get('description', '')}\n\n{needs}".strip()
