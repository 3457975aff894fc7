"""POST /api/v1/dashboards/generate: an upload becomes a DashboardRequested event.

The file streams into the blob store while it is checked (uploads.py); only a file that passed
every check gets an event. The POST then waits, bounded, for the generation service: a small
file's dashboard comes back in this answer (200), a slow one answers 202 with its generation_id.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts import DashboardRequested
from services.eventlog.store import ConcurrencyError
from services.gateway import bounds
from services.gateway.envelope import ApiError
from services.gateway.routes.dashboards import generation_row
from services.gateway.routes.dependencies import Caller, tenant_of
from services.gateway.uploads import MultipartUpload, UploadLimits, check_xlsx

router = APIRouter(prefix="/api/v1", tags=["Generation"])
IDEMPOTENCY = uuid.UUID("6f1c1b0e-3f0a-4d5e-9a43-2f7f0c1d9e11")
PREMIUM_OPTIONS = ("allow_pdf_export", "allow_scrollable_cards")
UPLOAD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "CSV, TSV, JSON (array of records), NDJSON, Parquet or XLSX"},
        "title": {"type": "string", "maxLength": 200},
        "tenant_id": {"type": "string", "maxLength": 128}, "workspace_id": {"type": "string", "maxLength": 128},
        "allow_pdf_export": {"type": "boolean"}, "allow_scrollable_cards": {"type": "boolean"}}}}}}}


def generation_id_for(project_id: str, idempotency_key: str | None) -> str:
    if idempotency_key:
        return uuid.uuid5(IDEMPOTENCY, f"{project_id}:{idempotency_key}").hex
    return uuid.uuid4().hex


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@router.post("/dashboards/generate", openapi_extra=UPLOAD_FORM, status_code=200,
             responses={202: {"description": "Accepted: still processing; poll /generations/{id}"}})
async def generate_dashboard(request: Request, caller: Caller):
    state = request.app.state
    settings = state.settings
    limits = UploadLimits(max_bytes=settings.max_upload_bytes, max_line_bytes=settings.max_line_bytes)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + 64 * 1024:
        raise ApiError(413, f"the upload is larger than {limits.max_bytes} bytes")
    idempotency_key = bounds.idempotency_key(request.headers.get("idempotency-key"))
    generation_id = generation_id_for(caller.project_id, idempotency_key)
    if idempotency_key and await state.store.aggregate_version("generation", generation_id):
        return await _answer(state, caller.project_id, generation_id, wait=0)

    upload = MultipartUpload(request.headers.get("content-type", ""), limits)
    blob_name = f"uploads/{caller.project_id}/{generation_id}/{uuid.uuid4().hex}"
    ref = await state.blobs.put(blob_name, upload.file_chunks(request.stream()))
    try:
        if upload.file_format == "xlsx":
            await _check_workbook(state.blobs, blob_name, limits)
        options = {name: _flag(upload.fields.get(name)) for name in PREMIUM_OPTIONS}
        if any(options.values()) and caller.plan != "premium":
            raise ApiError(403, "allow_pdf_export and allow_scrollable_cards need a premium plan")
        requested = DashboardRequested(project_id=caller.project_id, aggregate_id=generation_id, payload={
            "upload": ref, "file_format": upload.file_format,
            "title": bounds.form_line(upload.fields, "title", bounds.TITLE_CHARS),
            "tenant_id": tenant_of(caller, bounds.form_line(upload.fields, "tenant_id", bounds.SCOPE_ID_CHARS)),
            "workspace_id": bounds.form_line(upload.fields, "workspace_id", bounds.SCOPE_ID_CHARS),
            "options": options, "idempotency_key": idempotency_key})
        await state.store.append(requested, expected_last_seq=0)
    except ConcurrencyError:  # the same Idempotency-Key, sent twice at once: the first one stands
        await state.blobs.delete(blob_name)
        return await _answer(state, caller.project_id, generation_id, wait=0)
    except BaseException:
        await state.blobs.delete(blob_name)
        raise
    return await _answer(state, caller.project_id, generation_id, wait=settings.generation_sync_seconds)


async def _check_workbook(blobs, name: str, limits: UploadLimits) -> None:
    with tempfile.TemporaryDirectory() as spool:
        path = Path(spool) / "workbook.xlsx"
        await blobs.copy_to_file(name, path)
        await asyncio.to_thread(check_xlsx, path, limits)


async def _answer(state, project_id: str, generation_id: str, wait: float) -> JSONResponse:
    deadline = time.monotonic() + wait
    while True:
        row = await asyncio.to_thread(generation_row, state.engine, project_id, generation_id)
        if row is not None and row.status != "processing" or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.05)
    if row is None:  # appended, not yet projected
        return JSONResponse({"success": True, "data": {"generation_id": generation_id, "status": "processing",
                                                       "stage": "queued", "percent": 0}}, status_code=202)
    if row.status == "failed":
        raise ApiError(422, f"the dashboard could not be generated: {row.error_reason}")
    data = {"generation_id": generation_id, "status": row.status, "stage": row.stage, "percent": row.percent}
    if row.status == "completed":
        data["dashboard_id"] = row.dashboard_id
        data["dashboard"] = await state.dashboard_specs.load(row.dashboard_id, project_id)
        return JSONResponse({"success": True, "data": data}, status_code=200)
    return JSONResponse({"success": True, "data": data}, status_code=202)

