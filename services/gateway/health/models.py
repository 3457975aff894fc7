"""The health answer's shape, as /openapi.json documents it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from services.gateway.edge.envelope import Failure


class Liveness(BaseModel):
    status: Literal["alive"]


class ProjectionHealth(BaseModel):
    status: Literal["up", "degraded"]
    checkpoint: int
    lag: int | None = Field(description="Events in the log it has not applied yet (None: the bus is down)")
    parked: int = Field(description="Events it could not apply, set aside")


class TaskHealth(BaseModel):
    status: str
    restarts: int
    last_error: str | None


class ServiceHealth(BaseModel):
    status: Literal["up", "degraded", "down"]
    last_heartbeat_age_seconds: float | None
    instances: int
    tasks: dict[str, TaskHealth]
    missing_buckets: list[str]


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    bus: dict[str, Any] = Field(description='{"status": "up", "stream", "last_seq"} or {"status": "down", "error"}')
    database: dict[str, Any] = Field(description='{"status": "up", "backend"} or {"status": "down", "error"}')
    services: dict[str, ServiceHealth]
    projections: dict[str, ProjectionHealth]


class HealthDown(Failure):
    data: Health
