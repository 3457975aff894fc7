"""/api/v1/webhooks: endpoints (the secret shown once), rotation, test sends, deliveries, redelivery.

Changes are commands to the webhooks service over NATS request-reply (it owns endpoints and
their secrets); reads come from its read models through services/webhooks/queries.py.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic import BaseModel, Field

from contracts.webhook_commands import command_subject
from contracts.webhooks import WebhookEventType
from services.gateway.edge.auth import Principal
from services.gateway.edge.dependencies import Limit, Offset, ReadModels, principal_of
from services.gateway.edge.envelope import ApiError, Page, Success, ok, page
from services.webhooks import queries

router = APIRouter(prefix="/api/v1", tags=["Webhooks"])
COMMAND_TIMEOUT = 10.0


async def webhook_owner(request: Request) -> Principal:
    """The caller managing webhooks: the one place to point at a richer principal later."""
    principal = principal_of(request)
    if not {"admin", "write"} & set(principal.scopes):
        raise ApiError(403, "managing webhooks needs the write or admin scope")
    return principal


async def webhook_reader(request: Request) -> Principal:
    return principal_of(request)


Owner = Annotated[Principal, Depends(webhook_owner)]
Reader = Annotated[Principal, Depends(webhook_reader)]
Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://",
                           description="https only (http and private addresses only when the operator allows them)")]


class WebhookCreate(BaseModel):
    url: Url
    events: list[WebhookEventType] = Field(min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=500)


class WebhookChange(BaseModel):
    url: Url | None = None
    events: list[WebhookEventType] | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: Literal["enabled", "disabled"]
    disabled_reason: str | None
    failing_since: datetime | None
    last_success_at: datetime | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_...). Shown in this response only: store it now.")


class SecretRotated(BaseModel):
    id: str
    secret: str = Field(description="The new signing secret, shown once")
    previous_secret_valid_until: datetime = Field(description="Until then both secrets sign every delivery")


class DeliveryQueued(BaseModel):
    delivery_id: str
    message_id: str = Field(description="The webhook-id header the receiver will see")
    redelivery_of: str | None = None


class AttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    next_attempt_at: datetime | None


class DeliveryOut(BaseModel):
    id: str
    message_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    redelivery_of: str | None
    created_at: datetime


async def command(request: Request, name: str, project_id: str, **arguments: Any) -> Any:
    """Ask the webhooks service; its refusal becomes the API's error."""
    payload = orjson.dumps({"project_id": project_id, **arguments})
    try:
        reply = await request.app.state.nc.request(command_subject(name), payload, timeout=COMMAND_TIMEOUT)
    except (TimeoutError, NoRespondersError, NatsTimeout):
        raise ApiError(503, "the webhooks service is not answering; try again shortly") from None
    answer = orjson.loads(reply.data)
    if not answer["ok"]:
        raise ApiError(answer["status"], answer["error"])
    return answer["data"]


def _found(engine, project_id: str, endpoint_id: str) -> dict:
    endpoint = queries.endpoint_out(engine, project_id, endpoint_id)
    if endpoint is None:
        raise ApiError(404, "no such webhook endpoint")
    return endpoint


@router.post("/webhooks", status_code=201, response_model=Success[WebhookCreated])
async def create_webhook(body: WebhookCreate, caller: Owner, request: Request):
    created = await command(request, "register", caller.project_id, url=body.url, event_types=body.events,
                            description=body.description)
    return ok(created, 201)


@router.get("/webhooks", response_model=Success[list[WebhookOut]])
async def list_webhooks(caller: Reader, engine: ReadModels):
    return ok(await asyncio.to_thread(queries.list_endpoints, engine, caller.project_id))


@router.get("/webhooks/{endpoint_id}", response_model=Success[WebhookOut])
async def get_webhook(endpoint_id: str, caller: Reader, engine: ReadModels):
    return ok(await asyncio.to_thread(_found, engine, caller.project_id, endpoint_id))


@router.patch("/webhooks/{endpoint_id}", response_model=Success[WebhookOut])
async def change_webhook(endpoint_id: str, body: WebhookChange, caller: Owner, request: Request):
    change = body.model_dump(exclude_none=True)
    if "events" in change:
        change["event_types"] = change.pop("events")
    if not change:
        raise ApiError(422, "nothing to change: give url, events, description or enabled")
    return ok(await command(request, "update", caller.project_id, endpoint_id=endpoint_id, change=change))


@router.delete("/webhooks/{endpoint_id}", response_model=Success[dict[str, str | bool]])
async def delete_webhook(endpoint_id: str, caller: Owner, request: Request):
    return ok(await command(request, "delete", caller.project_id, endpoint_id=endpoint_id))


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=Success[SecretRotated])
async def rotate_webhook_secret(endpoint_id: str, caller: Owner, request: Request):
    return ok(await command(request, "rotate_secret", caller.project_id, endpoint_id=endpoint_id))


@router.post("/webhooks/{endpoint_id}/test", status_code=202, response_model=Success[DeliveryQueued])
async def test_webhook(endpoint_id: str, caller: Owner, request: Request):
    return ok(await command(request, "send_test", caller.project_id, endpoint_id=endpoint_id), 202)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=Page[DeliveryOut])
async def list_deliveries(endpoint_id: str, caller: Reader, engine: ReadModels, limit: Limit = 50, offset: Offset = 0):
    await asyncio.to_thread(_found, engine, caller.project_id, endpoint_id)
    items, total = await asyncio.to_thread(queries.deliveries_of, engine, endpoint_id, limit, offset)
    return page(items, total, limit, offset)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", status_code=202, response_model=Success[DeliveryQueued])
async def redeliver(delivery_id: str, caller: Owner, request: Request):
    return ok(await command(request, "redeliver", caller.project_id, delivery_id=delivery_id), 202)
