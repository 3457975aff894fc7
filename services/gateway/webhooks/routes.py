"""/api/v1/webhooks: endpoints (the secret shown once), rotation, test sends, deliveries, redelivery.

Every route is one command to the webhooks service over NATS request-reply (it owns endpoints,
their secrets and deliveries: contracts/webhook_commands.py); the gateway reads none of its tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from contracts.webhook_commands import (
    Attempt,
    DeleteEndpoint,
    GetEndpoint,
    ListDeliveries,
    ListEndpoints,
    Redeliver,
    RegisterEndpoint,
    RotateSecret,
    SendTest,
    UpdateEndpoint,
)
from contracts.webhooks import WebhookEventType
from services.gateway.edge.auth import Principal
from services.gateway.edge.bounds import Description, Matches, ResourceId
from services.gateway.edge.dependencies import Commands, Limit, Offset, ScopedRoute, principal_of
from services.gateway.edge.envelope import ApiError, Page, Success, ok, page

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Webhooks"])


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
# A host, and no space or control character (CR LF would smuggle a header into the request)
Url = Annotated[str, Field(min_length=8, max_length=2000,
                           description="https only (http and private addresses only when the operator allows them)"),
                Matches(r"^https?://[^\u0000-\u0020\u007F-\u009F/?#]+([/?#][^\u0000-\u0020\u007F-\u009F]*)?$",
                        "an http(s) URL with a host, and no spaces or control characters")]
WebhookDescription = Annotated[Description, StringConstraints(max_length=500)]


class WebhookCreate(BaseModel):
    url: Url
    events: list[WebhookEventType] = Field(min_length=1, max_length=20)
    description: WebhookDescription | None = None


class WebhookChange(BaseModel):
    """At least one field, none of them null: the schema says so (an empty change is a 422)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})
    url: Url | SkipJsonSchema[None] = None
    events: Annotated[list[WebhookEventType], Field(min_length=1, max_length=20)] | SkipJsonSchema[None] = None
    description: WebhookDescription | SkipJsonSchema[None] = None
    enabled: bool | SkipJsonSchema[None] = None

    @field_validator("url", "events", "description", "enabled", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        """A field left out is kept; a null one is refused, as the schema (no null) says."""
        if value is None:
            raise ValueError("may not be null: leave the field out to keep it")
        return value


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


class DeliveryOut(BaseModel):
    id: str
    message_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    redelivery_of: str | None
    created_at: datetime


@router.post("/webhooks", status_code=201, response_model=Success[WebhookCreated])
async def create_webhook(body: WebhookCreate, caller: Owner, commands: Commands):
    created = await commands.ask(RegisterEndpoint(project_id=caller.project_id, url=body.url,
                                                  event_types=list(body.events), description=body.description))
    return ok(created.model_dump(), 201)


@router.get("/webhooks", response_model=Success[list[WebhookOut]])
async def list_webhooks(caller: Reader, commands: Commands):
    endpoints = await commands.ask(ListEndpoints(project_id=caller.project_id))
    return ok([endpoint.model_dump() for endpoint in endpoints])


@router.get("/webhooks/{endpoint_id}", response_model=Success[WebhookOut])
async def get_webhook(endpoint_id: ResourceId, caller: Reader, commands: Commands):
    return ok((await commands.ask(GetEndpoint(project_id=caller.project_id, endpoint_id=endpoint_id))).model_dump())


@router.patch("/webhooks/{endpoint_id}", response_model=Success[WebhookOut])
async def change_webhook(endpoint_id: ResourceId, body: WebhookChange, caller: Owner, commands: Commands):
    change = body.model_dump(exclude_none=True)
    if not change:
        raise ApiError(422, "nothing to change: give url, events, description or enabled")
    changed = await commands.ask(UpdateEndpoint(project_id=caller.project_id, endpoint_id=endpoint_id,
                                                url=body.url, event_types=body.events,
                                                description=body.description, enabled=body.enabled))
    return ok(changed.model_dump())


@router.delete("/webhooks/{endpoint_id}", response_model=Success[dict[str, str | bool]])
async def delete_webhook(endpoint_id: ResourceId, caller: Owner, commands: Commands):
    return ok((await commands.ask(DeleteEndpoint(project_id=caller.project_id, endpoint_id=endpoint_id))).model_dump())


@router.post("/webhooks/{endpoint_id}/rotate-secret", response_model=Success[SecretRotated])
async def rotate_webhook_secret(endpoint_id: ResourceId, caller: Owner, commands: Commands):
    return ok((await commands.ask(RotateSecret(project_id=caller.project_id, endpoint_id=endpoint_id))).model_dump())


@router.post("/webhooks/{endpoint_id}/test", status_code=202, response_model=Success[DeliveryQueued])
async def test_webhook(endpoint_id: ResourceId, caller: Owner, commands: Commands):
    queued = await commands.ask(SendTest(project_id=caller.project_id, endpoint_id=endpoint_id))
    return ok(queued.model_dump(), 202)


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=Page[DeliveryOut])
async def list_deliveries(endpoint_id: ResourceId, caller: Reader, commands: Commands, limit: Limit = 50,
                          offset: Offset = 0):
    found = await commands.ask(ListDeliveries(project_id=caller.project_id, endpoint_id=endpoint_id,
                                              limit=limit, offset=offset))
    return page([delivery.model_dump() for delivery in found.items], found.total, limit, offset)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", status_code=202, response_model=Success[DeliveryQueued])
async def redeliver(delivery_id: ResourceId, caller: Owner, commands: Commands):
    again = await commands.ask(Redeliver(project_id=caller.project_id, delivery_id=delivery_id))
    return ok(again.model_dump(), 202)
