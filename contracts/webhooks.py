"""Events of webhook endpoints (subject events.webhook.<endpoint_id>) and of their deliveries
(subject events.webhookdelivery.<delivery_id>), and the public webhook event types.

An endpoint's signing secret rides only sealed (AES-GCM, key held by the webhooks service):
`sealed_secret` is `v1.<base64 nonce+ciphertext>`, never the `whsec_...` value itself.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import AwareDatetime, BaseModel, Field

from contracts.envelope import Event

# What a customer can subscribe to; `webhook.test` is sent only by POST /webhooks/{id}/test.
# contracts/public_events.py holds each one's payload model (and checks this list against them).
WebhookEventType = Literal["generation.completed", "generation.failed", "share_link.issued",
                           "share_link.revoked", "dashboard.created", "dashboard.version_added",
                           "dashboard.deleted", "dashboard.card_removed", "dashboard.card_pinned",
                           "dashboard.card_moved", "dashboard.card_query_changed", "dashboard.card_added",
                           "dashboard.card_renamed", "dashboard.column_types_set", "dashboard.correction_undone",
                           "webhook_endpoint.disabled", "webhook.test"]
PUBLIC_EVENT_TYPES: tuple[str, ...] = get_args(WebhookEventType)


class WebhookEndpointRegisteredPayload(BaseModel):
    url: str
    event_types: list[str]
    description: str | None = None
    sealed_secret: str | None = None


class WebhookEndpointRegistered(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointRegistered"] = "WebhookEndpointRegistered"
    version: Literal[1] = 1
    payload: WebhookEndpointRegisteredPayload


class WebhookEndpointUpdatedPayload(BaseModel):
    """Only the fields that changed are set."""

    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


class WebhookEndpointUpdated(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointUpdated"] = "WebhookEndpointUpdated"
    version: Literal[1] = 1
    payload: WebhookEndpointUpdatedPayload


class WebhookEndpointDeleted(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointDeleted"] = "WebhookEndpointDeleted"
    version: Literal[1] = 1
    payload: dict[str, Any] = Field(default_factory=dict)


class WebhookEndpointSecretRotatedPayload(BaseModel):
    sealed_secret: str
    previous_valid_until: AwareDatetime = Field(description="The old secret signs beside the new one until then")


class WebhookEndpointSecretRotated(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointSecretRotated"] = "WebhookEndpointSecretRotated"
    version: Literal[1] = 1
    payload: WebhookEndpointSecretRotatedPayload


class WebhookEndpointDisabledPayload(BaseModel):
    reason: str


class WebhookEndpointDisabled(Event):
    aggregate: ClassVar[str] = "webhook"
    type: Literal["WebhookEndpointDisabled"] = "WebhookEndpointDisabled"
    version: Literal[1] = 1
    payload: WebhookEndpointDisabledPayload


class WebhookDeliveryScheduledPayload(BaseModel):
    endpoint_id: str
    message_id: str = Field(description="The webhook-id header: the same on every attempt and redelivery")
    event_type: str
    source_event_id: str
    body: dict[str, Any] = Field(description="{type, timestamp, data}, exactly as sent")
    redelivery_of: str | None = None


class WebhookDeliveryScheduled(Event):
    aggregate: ClassVar[str] = "webhookdelivery"
    type: Literal["WebhookDeliveryScheduled"] = "WebhookDeliveryScheduled"
    version: Literal[1] = 1
    payload: WebhookDeliveryScheduledPayload


class WebhookDeliveryAttemptedPayload(BaseModel):
    endpoint_id: str
    attempt: int = Field(ge=1)
    attempted_at: AwareDatetime
    status_code: int | None = None
    latency_ms: int = Field(ge=0)
    error: str | None = Field(default=None, description="Why the attempt failed; None on success")
    next_attempt_at: AwareDatetime | None = None


class WebhookDeliveryAttempted(Event):
    aggregate: ClassVar[str] = "webhookdelivery"
    type: Literal["WebhookDeliveryAttempted"] = "WebhookDeliveryAttempted"
    version: Literal[1] = 1
    payload: WebhookDeliveryAttemptedPayload


class WebhookDeliverySucceededPayload(BaseModel):
    endpoint_id: str
    attempts: int


class WebhookDeliverySucceeded(Event):
    aggregate: ClassVar[str] = "webhookdelivery"
    type: Literal["WebhookDeliverySucceeded"] = "WebhookDeliverySucceeded"
    version: Literal[1] = 1
    payload: WebhookDeliverySucceededPayload


class WebhookDeliveryFailedPayload(BaseModel):
    endpoint_id: str
    attempts: int
    reason: str


class WebhookDeliveryFailed(Event):
    aggregate: ClassVar[str] = "webhookdelivery"
    type: Literal["WebhookDeliveryFailed"] = "WebhookDeliveryFailed"
    version: Literal[1] = 1
    payload: WebhookDeliveryFailedPayload
