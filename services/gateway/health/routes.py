"""GET /api/v1/health: the bus, the database, each service's heartbeat and tasks, each projection's
lag and parked events. "degraded" when a service is down or misses a KV bucket it needs, or a
projection lags or parks above its threshold."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from contracts import STREAM_NAME
from services.gateway.edge.dependencies import State
from services.gateway.edge.envelope import BUS_RETRY_AFTER_SECONDS, ERROR_CODES
from services.gateway.health.queries import positions_and_parked
from services.runtime.heartbeats import SERVICES, last_heartbeats

router = APIRouter()


@router.get("/api/v1/health")
async def health(state: State) -> JSONResponse:
    bus, last_seq = await _bus(state.js, STREAM_NAME)
    database, positions, parked = await asyncio.to_thread(_database, state.engine)
    stale_after = state.settings.heartbeat_seconds * 3
    services = await _services(state.js, stale_after) if bus["status"] == "up" else {}
    projections = _projections(positions, parked, last_seq, state.settings)
    healthy = bus["status"] == "up" and database["status"] == "up"
    degraded = (any(s["status"] != "up" for s in services.values())
                or any(p["status"] != "up" for p in projections.values()))
    body = {"status": "ok" if healthy and not degraded else ("degraded" if healthy else "down"),
            "bus": bus, "database": database, "services": services, "projections": projections}
    if not healthy:
        return JSONResponse({"success": False, "error": "a dependency is down", "code": ERROR_CODES[503],
                             "data": body}, status_code=503, headers={"Retry-After": str(BUS_RETRY_AFTER_SECONDS)})
    return JSONResponse({"success": True, "data": body})


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
    beats = await last_heartbeats(js)
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
