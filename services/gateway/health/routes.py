"""GET /api/v1/health: the bus, the cluster (each stream and bucket the gateway needs: its leader,
its replicas), the database, each service's heartbeat and tasks, each projection's lag and parked
events. "degraded" when a service is down or misses a KV bucket it needs, a projection lags or
parks above its threshold, or a replica is offline or behind: 200, the gateway still serves.
A needed stream or bucket without a leader (no quorum) is "degraded" with 503, as every route
answers then; "down" (503) when the bus or the database does not answer.

GET /api/v1/health/live: the process answers (for an orchestrator's liveness probe; restarting a
gateway never brings back a lost quorum, so it checks nothing else)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts import STREAM_NAME
from services.eventlog.blobs import ObjectStoreBlobStore
from services.gateway.edge.dependencies import State
from services.gateway.edge.envelope import BUS_RETRY_AFTER_SECONDS, ERROR_CODES, RETRY_AFTER, Success
from services.gateway.edge.sessions import BUCKET as SESSIONS
from services.gateway.edge.state import GatewayState
from services.gateway.health.models import Health, HealthDown, Liveness
from services.gateway.health.queries import positions_and_parked
from services.gateway.keys.usage import BUCKET as USAGE
from services.runtime.cluster import ASK_FOR, cluster_view
from services.runtime.heartbeats import BUCKET as HEARTBEATS
from services.runtime.heartbeats import SERVICES, last_heartbeats

router = APIRouter()


@router.get("/api/v1/health/live", response_model=None, responses={200: {"model": Success[Liveness]}})
async def live() -> JSONResponse:
    return JSONResponse({"success": True, "data": {"status": "alive"}})


@router.get("/api/v1/health", response_model=None, responses={
    200: {"model": Success[Health], "description": "The bus and the database are up (status ok or degraded)"},
    503: {"model": HealthDown, "headers": RETRY_AFTER, "description": "The bus or the database is down"}})
async def health(state: State) -> JSONResponse:
    connected = state.nc.is_connected
    cluster = await cluster_view(state.js, needed_streams(state)) if connected else None
    bus, last_seq = await _bus(state.js, STREAM_NAME) if connected else ({"status": "down"}, None)
    database, positions, parked = await asyncio.to_thread(_database, state.engine)
    services = await _services(state.js, state.settings.heartbeat_seconds * 3) if bus["status"] == "up" else {}
    projections = _projections(positions, parked, last_seq, state.settings)
    leaderless = cluster["leaderless"] if cluster else []
    reachable = connected and database["status"] == "up" and (bus["status"] == "up" or bool(leaderless))
    degraded = (bool(leaderless) or any(s["status"] != "up" for s in services.values())
                or any(p["status"] != "up" for p in projections.values())
                or any(v["status"] != "up" for v in (cluster or {}).get("streams", {}).values()))
    body = {"status": "ok" if reachable and not degraded else ("degraded" if reachable else "down"),
            "bus": bus, "cluster": cluster, "database": database, "services": services, "projections": projections}
    if not reachable or leaderless:
        error = f"no leader for {', '.join(leaderless)}" if reachable else "a dependency is down"
        return JSONResponse({"success": False, "error": error, "code": ERROR_CODES[503], "data": body},
                            status_code=503, headers={"Retry-After": str(BUS_RETRY_AFTER_SECONDS)})
    return JSONResponse({"success": True, "data": body})


def needed_streams(state: GatewayState) -> list[str]:
    """The streams behind everything the gateway serves: the events, its KV buckets, the blobs."""
    buckets = {*state.buckets.names(), HEARTBEATS, USAGE, SESSIONS}
    blobs = [f"OBJ_{state.blobs.bucket}"] if isinstance(state.blobs, ObjectStoreBlobStore) else []
    return [STREAM_NAME, *(f"KV_{name}" for name in buckets), *blobs]


async def _bus(js, stream: str) -> tuple[dict, int | None]:
    try:
        info = await asyncio.wait_for(js.stream_info(stream), 2.0)
    except Exception as error:
        return {"status": "down", "error": type(error).__name__}, None
    return {"status": "up", "stream": stream, "last_seq": info.state.last_seq}, info.state.last_seq


def _database(engine) -> tuple[dict, dict[str, int], dict[str, int]]:
    try:
        with engine.connect() as conn:
            positions, parked = positions_and_parked(conn)
    except Exception as error:
        return {"status": "down", "error": type(error).__name__}, {}, {}
    return {"status": "up", "backend": engine.dialect.name}, positions, parked


def _projections(positions: dict[str, int], parked: dict[str, int], last_seq: int | None, settings) -> dict:
    report = {}
    for name, seq in positions.items():
        lag = max(last_seq - seq, 0) if last_seq is not None else None
        behind = lag is not None and lag > settings.health_max_lag
        stuck = parked.get(name, 0) > settings.health_max_parked
        report[name] = {"status": "degraded" if behind or stuck else "up", "checkpoint": seq, "lag": lag,
                        "parked": parked.get(name, 0)}
    return report


async def _services(js, stale_after: float) -> dict[str, dict]:
    try:
        beats = await asyncio.wait_for(last_heartbeats(js), ASK_FOR)
    except Exception as error:  # the heartbeats' bucket has no leader: the services cannot be seen
        return {name: {"status": "unknown", "error": type(error).__name__} for name in SERVICES}
    now = time.time()
    report = {}
    for name in SERVICES:
        live = [beat for beat in beats.get(name, []) if now - beat["at"] <= stale_after]
        age = min((now - beat["at"] for beat in beats.get(name, [])), default=None)
        tasks = _tasks(live)
        # a KV bucket it needs that the bus lost (a restart): degraded until it is declared again
        missing = sorted({bucket for beat in live for bucket in beat.get("missing_buckets", [])})
        up = bool(live) and all(task["status"] == "running" for task in tasks.values()) and not missing
        report[name] = {"status": "up" if up else ("degraded" if live else "down"),
                        "last_heartbeat_age_seconds": round(age, 1) if age is not None else None,
                        "instances": len(live), "tasks": tasks, "missing_buckets": missing}
    return report


def _tasks(live_beats: list[dict]) -> dict[str, dict]:
    """Each task over the live instances: running only if it runs on every one of them."""
    tasks: dict[str, dict] = {}
    for beat in live_beats:
        for name, state in beat.get("tasks", {}).items():
            seen = tasks.setdefault(name, {"status": "running", "restarts": 0, "last_error": None})
            seen["restarts"] += state["restarts"]
            seen["last_error"] = state["last_error"] or seen["last_error"]
            if state["status"] != "running":
                seen["status"] = state["status"]
    return tasks
