"""/api/v1/dashboards/{id}/corrections: a person's corrections of a dashboard, which every later
version replays; and /versions/{a}/diff/{b}: what changed between two versions, and why.

A correction is answered once the newest version has been drawn again with it (bounded, as an
upload is: `generation.status` says "processing" when the drawing takes longer).
"""

from __future__ import annotations

import re
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Path, Request
from sqlalchemy import Row

from contracts.corrections import CORRECTION_ID
from services.eventlog.blobs import BlobNotFound, BlobStore
from services.gateway.corrections.commands import Corrected, Corrector, correct, undo
from services.gateway.corrections.diffs import version_diff
from services.gateway.corrections.models import CorrectionIn, CorrectionOut, CorrectionsOut
from services.gateway.corrections.projections import corrections as corrections_projection
from services.gateway.corrections.queries import corrections_of, versions_of
from services.gateway.dashboards.access import VisibleDashboard
from services.gateway.dashboards.specs import Specs
from services.gateway.edge import bounds
from services.gateway.edge.auth import TENANT_ROUTE
from services.gateway.edge.dependencies import Blobs, Caller, ReadModels, ScopedRoute, State, applied, off_the_loop
from services.gateway.edge.envelope import ApiError, JsonAnswer, Success, ok
from services.gateway.edge.state import GatewayState
from services.gateway.generation.outcomes import outcome_seq
from services.gateway.generation.projections import generation_status
from services.gateway.generation.queries import generation_row

reads = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Corrections"])
writes = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Corrections"])
IF_MATCH = r'^(?:W/)?"?([0-9]{1,9})"?$'
IfMatch = Annotated[str | None, Header(alias="If-Match", pattern=IF_MATCH, description=(
    "The corrections revision you saw (GET .../corrections, its ETag): 409 CONFLICT if another correction "
    "came first. Without it the correction applies after every other."))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", pattern=r"^[\x20-\x7E]{1,200}$",
                                              description="Send it again with the same key: one correction")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000_000)]


def revision_of(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    found = re.fullmatch(IF_MATCH, if_match.strip())
    if found is None:
        raise ApiError(422, 'If-Match: the corrections revision, a number (e.g. "3")')
    return int(found.group(1))


def listed(revision: int, rows: list[Row]) -> dict:
    return CorrectionsOut(revision=revision, corrections=[CorrectionOut.model_validate(r) for r in rows]).model_dump()


@reads.get("/dashboards/{dashboard_id}/corrections", openapi_extra=TENANT_ROUTE, response_model=Success[CorrectionsOut])
async def list_corrections(dashboard: VisibleDashboard, engine: ReadModels):
    """Every correction of the dashboard in the order they apply, undone ones too (with `undone_at`);
    the ETag is the revision to send as If-Match with the next one."""
    revision, rows = await off_the_loop(engine, lambda conn: corrections_of(conn, dashboard.dashboard_id))
    answer = ok(listed(revision, rows))
    answer.headers["ETag"] = f'"{revision}"'
    return answer


@writes.post("/dashboards/{dashboard_id}/corrections", openapi_extra=TENANT_ROUTE, status_code=201,
             response_model=Success[dict])
async def add_correction(body: CorrectionIn, dashboard: VisibleDashboard, caller: Caller, state: State, specs: Specs,
                         request: Request, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None):
    """Remove, pin, move, rename a card, change its query, add a card from a query, or set the table's
    column types; a query or column types naming a column the dashboard lacks is a 422 naming it."""
    who = Corrector(caller.project_id, dashboard.dashboard_id, caller.subject, revision_of(if_match),
                    bounds.idempotency_key(idempotency_key))
    spec = await specs.load(dashboard.dashboard_id, caller.project_id)
    corrected = await correct(state.store, who, body, spec)
    return await _answer(request, state, who, corrected, corrected.event.payload.correction_id)


@writes.delete("/dashboards/{dashboard_id}/corrections/{correction_id}", openapi_extra=TENANT_ROUTE,
               response_model=Success[dict])
async def undo_correction(correction_id: Annotated[str, Path(pattern=CORRECTION_ID)], dashboard: VisibleDashboard,
                          caller: Caller, state: State, request: Request, if_match: IfMatch = None):
    """Undo a correction: later versions no longer replay it (it stays listed, with `undone_at`)."""
    who = Corrector(caller.project_id, dashboard.dashboard_id, caller.subject, revision_of(if_match))
    corrected = await undo(state.store, who, correction_id)
    return await _answer(request, state, who, corrected, correction_id)


async def _answer(request: Request, state: GatewayState, who: Corrector, corrected: Corrected,
                  shown: str) -> JsonAnswer:
    """The correction (as the read model holds it), the revision, and how its drawing went."""
    if corrected.seq is not None:
        await applied(request, corrections_projection.name, corrected.seq)
    generation = None
    if corrected.redraw is not None:
        generation_id = corrected.redraw.aggregate_id
        if (seq := await outcome_seq(state.js, generation_id, state.settings.generation_sync_seconds)) is not None:
            await applied(request, generation_status.name, seq)
        row = await off_the_loop(state.engine, lambda conn: generation_row(conn, who.project_id, generation_id))
        generation = {"generation_id": generation_id, "status": row.status if row else "processing",
                      "error": row.error_reason if row else None}
    revision, rows = await off_the_loop(state.engine, lambda conn: corrections_of(conn, who.dashboard_id))
    correction = next((CorrectionOut.model_validate(r).model_dump() for r in rows if r.correction_id == shown), None)
    answer = ok({"correction": correction, "revision": revision, "generation": generation},
                201 if corrected.seq is not None and request.method == "POST" else 200)
    answer.headers["ETag"] = f'"{revision}"'
    return answer


@reads.get("/dashboards/{dashboard_id}/versions/{a}/diff/{b}", openapi_extra=TENANT_ROUTE,
           response_model=Success[dict])
async def diff_versions(a: VersionNumber, b: VersionNumber, dashboard: VisibleDashboard, engine: ReadModels,
                        blobs: Blobs):
    """Which cards came, went or changed from version `a` to version `b`, and why: new data, a
    correction, or a new rule."""
    rows = await off_the_loop(engine, lambda conn: versions_of(conn, dashboard.dashboard_id, (a, b)))
    missing = [n for n in (a, b) if n not in rows]
    if missing:
        raise ApiError(404, f"the dashboard has no version {missing[0]}")
    before, after = await _spec(blobs, rows[a].spec_blob), await _spec(blobs, rows[b].spec_blob)
    new_data = rows[a].upload_sha256 != rows[b].upload_sha256
    return ok({"from": a, "to": b, "new_data": new_data, **version_diff(before, after, new_data)})


async def _spec(blobs: BlobStore, blob: str) -> dict:
    try:
        return orjson.loads(b"".join([chunk async for chunk in blobs.read(blob)]))
    except BlobNotFound:  # the dashboard was deleted meanwhile, its files with it
        raise ApiError(404, "the version's dashboard is gone") from None
