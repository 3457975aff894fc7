"""POST /api/v1/dashboards/generate: an upload becomes a DashboardRequested event.

The file streams into the blob store while it is checked (uploads.py); only a file that passed
every check gets an event. The POST then waits, bounded, for the generation service: a small
file's dashboard comes back in this answer (200), a slow one answers 202 with its generation_id.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from contracts import DashboardRequested
from contracts.generation import COLUMN_TYPES, GRAIN_KEY, TABLE_GRAINS
from contracts.rpc import Refused
from services.eventlog.store import ConcurrencyError, EventStore
from services.gateway.dashboards.commands import load_dashboard, owned
from services.gateway.dashboards.routes import dashboard_links
from services.gateway.dashboards.specs import DashboardSpecs, Specs
from services.gateway.edge import bounds
from services.gateway.edge.auth import TENANT_ROUTE, Principal
from services.gateway.edge.bounds import DashboardId, ResourceId, ScopeId, TenantId, Title
from services.gateway.edge.dependencies import (
    Caller,
    Limit,
    Offset,
    ReadModels,
    ScopedRoute,
    State,
    applied,
    off_the_loop,
    tenant_of,
)
from services.gateway.edge.envelope import ApiError, Page, Success, ok, page
from services.gateway.edge.state import GatewayState
from services.gateway.generation.models import GenerationAccepted, GenerationCompleted, GenerationOut
from services.gateway.generation.outcomes import outcome_seq
from services.gateway.generation.projections import generation_status
from services.gateway.generation.queries import generation_row, generations_page, settled_generation_row
from services.gateway.generation.uploads import MultipartUpload, UploadLimits, check_xlsx

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Generation"])
reads = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Dashboards"])  # the read scope: a generation's state
IDEMPOTENCY = uuid.UUID("6f1c1b0e-3f0a-4d5e-9a43-2f7f0c1d9e11")
PREMIUM_OPTIONS = ("allow_pdf_export", "allow_scrollable_cards")
GenerationStatus = Literal["processing", "completed", "failed"]

# A generation that failed for something of ours, not of the file: a 5xx (the file may be sent again)
FAILED_STATUS = {"INTERNAL_ERROR": 500, "UPLOAD_MISSING": 500, "DASHBOARD_NOT_FOUND": 404}


class UploadFields(BaseModel):
    """The upload form's fields beside the file: checked like any JSON body (an empty field is an
    absent one), and documented from the same types."""

    title: Title | None = None
    tenant_id: TenantId | None = None
    workspace_id: ScopeId | None = None
    dashboard_id: DashboardId | None = Field(default=None, description=(
        "Refresh in place: the file becomes the next version of this dashboard (same id; its share links "
        "and embeds show the new version). Another project's or a deleted dashboard: 404."))
    allow_pdf_export: bool = False
    allow_scrollable_cards: bool = False
    column_types: str | None = Field(default=None, max_length=64_000, description=(
        'JSON object overruling the inferred type of columns, e.g. {"station_id": "identifier", '
        '"sales": "measure:sum", "pop": "measure:last"}. Types: ' + ", ".join(COLUMN_TYPES) + '. The key "grain" '
        'says what one row is instead (it decides what leads): ' + ", ".join(TABLE_GRAINS)))

    @classmethod
    def of(cls, fields: dict[str, str]) -> UploadFields:
        try:
            return cls.model_validate({name: value for name, value in fields.items() if value})
        except ValidationError as invalid:
            raise RequestValidationError(invalid.errors()) from None


GENERATE_HEADERS = [
    {"name": "Idempotency-Key", "in": "header", "required": False,
     "schema": {"type": "string", "minLength": 1, "maxLength": bounds.IDEMPOTENCY_KEY_CHARS, "pattern": "^[ -~]+$"},
     "description": "Printable ASCII. The same key again (in this project) answers the first request's "
                    "generation: nothing is generated twice"},
    {"name": "Prefer", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[ -~]*$"},
     "example": "respond-async",
     "description": "`respond-async` (RFC 7240): answer 202 at once, never wait for the dashboard"}]
GENERATE_ANSWERS: dict[int | str, dict] = {
    200: {"model": Success[GenerationCompleted], "description": "The dashboard, made within the wait"},
    202: {"model": Success[GenerationAccepted],
          "description": "Accepted, still processing: follow it at /generations/{generation_id} or on the websocket"}}


def _upload_form() -> dict:
    schema = UploadFields.model_json_schema()
    schema["properties"] = {"file": {"type": "string", "format": "binary",
                                     "description": "CSV, TSV, JSON (array of records), NDJSON, Parquet or XLSX"},
                            **schema["properties"]}
    schema["required"] = ["file"]
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}},
            "parameters": GENERATE_HEADERS}


UPLOAD_FORM = _upload_form()


def generation_id_for(project_id: str, idempotency_key: str | None) -> str:
    if idempotency_key:
        return uuid.uuid5(IDEMPOTENCY, f"{project_id}:{idempotency_key}").hex
    return uuid.uuid4().hex


def column_types_of(field: str | None) -> dict[str, str] | None:
    """The column_types form field: a JSON object of column name -> a known type, or a 422."""
    if not field or not field.strip():
        return None
    try:
        types = json.loads(field)
    except ValueError as error:
        raise ApiError(422, f"column_types is not JSON: {error}") from error
    if not isinstance(types, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in types.items()):
        raise ApiError(422, 'column_types must be a JSON object of column name to type, e.g. {"sales": "measure:sum"}')
    for column, kind in types.items():
        if len(column.encode()) > bounds.COLUMN_NAME_BYTES:
            raise ApiError(422, f"column_types: a column name is longer than {bounds.COLUMN_NAME_BYTES} bytes")
        if bounds.control_character_in(column):
            raise ApiError(422, "column_types: a column name must not contain control characters")
        if column == GRAIN_KEY and kind in TABLE_GRAINS:
            continue
        if kind not in COLUMN_TYPES:
            raise ApiError(422, f"column_types: unknown type {kind!r} for column {column!r}; "
                                f"known types: {', '.join(COLUMN_TYPES)}; \"grain\": one of {', '.join(TABLE_GRAINS)}")
    return types


@router.post("/dashboards/generate", openapi_extra={**UPLOAD_FORM, **TENANT_ROUTE}, status_code=200,
             response_model=None, responses=GENERATE_ANSWERS)
async def generate_dashboard(request: Request, caller: Caller, state: State, specs: Specs):
    settings = state.settings
    limits = UploadLimits(max_bytes=settings.max_upload_bytes, max_line_bytes=settings.max_line_bytes)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + 64 * 1024:
        raise ApiError(413, f"the upload is larger than {limits.max_bytes} bytes")
    idempotency_key = bounds.idempotency_key(request.headers.get("idempotency-key"))
    prefer = request.headers.get("prefer", "")
    if not (prefer.isascii() and prefer.isprintable()):
        raise ApiError(422, "Prefer: printable ASCII characters, e.g. respond-async")
    generation_id = generation_id_for(caller.project_id, idempotency_key)
    if idempotency_key and await state.store.aggregate_version("generation", generation_id):
        return await _answer(request, state, specs, caller.project_id, generation_id, wait=0)

    upload = MultipartUpload(request.headers.get("content-type", ""), limits)
    blob_name = f"uploads/{caller.project_id}/{generation_id}/{uuid.uuid4().hex}"
    ref = await state.blobs.put(blob_name, upload.file_chunks(request.stream()))
    try:
        if upload.file_format == "xlsx":
            await _check_workbook(state.blobs, blob_name, limits)
        fields = UploadFields.of(upload.fields)
        options = {name: getattr(fields, name) for name in PREMIUM_OPTIONS}
        if any(options.values()) and caller.plan != "premium":
            raise ApiError(403, "allow_pdf_export and allow_scrollable_cards need a premium plan")
        scope = await _scope_of(state.store, caller, fields)
        requested = DashboardRequested(project_id=caller.project_id, aggregate_id=generation_id, payload={
            "upload": ref, "file_format": upload.file_format, "title": fields.title, **scope,
            "options": options, "idempotency_key": idempotency_key, "requested_by": caller.subject,
            "column_types": column_types_of(fields.column_types)})
        seq = await state.store.append(requested, expected_last_seq=0)
    except ConcurrencyError:  # the same Idempotency-Key, sent twice at once: the first one stands
        await state.blobs.delete(blob_name)
        return await _answer(request, state, specs, caller.project_id, generation_id, wait=0)
    except BaseException:
        await state.blobs.delete(blob_name)
        raise
    # `Prefer: respond-async` (RFC 7240): 202 at once, once the generation can be read (its status, the
    # websocket's subscription), so the client follows it on the websocket (the console does)
    if "respond-async" in prefer.lower():
        await applied(request, generation_status.name, seq)
        return await _answer(request, state, specs, caller.project_id, generation_id, wait=0)
    return await _answer(request, state, specs, caller.project_id, generation_id, wait=settings.generation_sync_seconds)


async def _scope_of(store: EventStore, caller: Principal, fields: UploadFields) -> dict[str, str | None]:
    """The tenant, workspace and (refresh in place) dashboard of an upload, once the caller may use them.

    A dashboard to refresh must be the project's and not deleted (404, and nothing is appended);
    its tenant and workspace are the upload's, and a form that names others is a 422.
    """
    tenant_id, workspace_id, dashboard_id = fields.tenant_id, fields.workspace_id, fields.dashboard_id
    if dashboard_id is None:
        return {"tenant_id": tenant_of(caller, tenant_id), "workspace_id": workspace_id}
    try:
        board = owned(await load_dashboard(store, dashboard_id), caller.project_id)
    except Refused as refused:  # a deleted dashboard cannot be refreshed: as absent as a missing one
        raise ApiError(404, "no such dashboard to refresh") from refused
    tenant_of(caller, board.tenant_id)
    for name, given, own in (("tenant_id", tenant_id, board.tenant_id), ("workspace_id", workspace_id,
                                                                         board.workspace_id)):
        if given is not None and given != own:
            raise ApiError(422, f"{name}: the dashboard to refresh belongs to {name} {own!r}")
    return {"tenant_id": board.tenant_id, "workspace_id": board.workspace_id, "dashboard_id": dashboard_id}


async def _check_workbook(blobs, name: str, limits: UploadLimits) -> None:
    with tempfile.TemporaryDirectory() as spool:
        path = Path(spool) / "workbook.xlsx"
        await blobs.copy_to_file(name, path)
        await asyncio.to_thread(check_xlsx, path, limits)


async def _answer(request: Request, state: GatewayState, specs: DashboardSpecs, project_id: str, generation_id: str,
                  wait: float) -> JSONResponse:
    row = await off_the_loop(state.engine, lambda conn: generation_row(conn, project_id, generation_id))
    if wait > 0 and (row is None or row.status == "processing"):
        # woken by the outcome's event, then answered from the read model once it holds that event
        if (seq := await outcome_seq(state.js, generation_id, wait)) is not None:
            await applied(request, generation_status.name, seq)
        row = await off_the_loop(state.engine, lambda conn: generation_row(conn, project_id, generation_id))
    if row is None:  # appended, not yet projected
        return JSONResponse({"success": True, "data": {"generation_id": generation_id, "status": "processing",
                                                       "stage": "queued", "percent": 0}}, status_code=202)
    if row.status == "failed":
        raise ApiError(FAILED_STATUS.get(row.error_code, 422), f"the dashboard could not be generated: {row.error_reason}",
                       about={"generation_id": generation_id})
    data = {"generation_id": generation_id, "status": row.status, "stage": row.stage, "percent": row.percent}
    if row.status == "completed":
        data["dashboard_id"] = row.dashboard_id
        spec = await specs.load(row.dashboard_id, project_id)
        data["links"] = dashboard_links(request, row.dashboard_id, spec)
        data["dashboard"] = {**spec, "links": data["links"]} if spec else spec
        return JSONResponse({"success": True, "data": data}, status_code=200)
    return JSONResponse({"success": True, "data": data}, status_code=202)


@reads.get("/generations", response_model=Page[GenerationOut])
async def list_generations(caller: Caller, engine: ReadModels, status: GenerationStatus | None = None,
                           limit: Limit = 50, offset: Offset = 0):
    """The project's generations, the latest first; `status=failed`: those that failed, each with its reason."""
    rows, total = await off_the_loop(engine, lambda conn: generations_page(conn, caller.project_id, status, limit,
                                                                           offset))
    return page([GenerationOut.model_validate(row).model_dump() for row in rows], total, limit, offset)


@reads.get("/generations/{generation_id}", response_model=Success[GenerationOut])
async def get_generation(generation_id: ResourceId, caller: Caller, state: State):
    # never behind a websocket or webhook that already said "completed"
    row = await settled_generation_row(state.engine, state.store, caller.project_id, generation_id,
                                       state.settings.read_your_writes_timeout)
    if row is None:
        raise ApiError(404, "no such generation")
    return ok(GenerationOut.model_validate(row).model_dump())
