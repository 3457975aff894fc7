"""Events of webhook endpoints. Subject: events.webhook.<endpoint_id>"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel

from contracts.envelope import Event


class WebhookEndpointRegisteredPayload(BaseModel):
    url: str
    event_types: list[str]
    description: str | None = None


class WebhookEndpointRegistered(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointRegistered"] = "WebhookEndpointRegistered"
    version: Literal[1] = 1
    payload: WebhookEndpointRegisteredPayload


class WebhookEndpointDisabledPayload(BaseModel):
    reason: str


class WebhookEndpointDisabled(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointDisabled"] = "WebhookEndpointDisabled"
    version: Literal[1] = 1
    payload: WebhookEndpointDisabledPayload
