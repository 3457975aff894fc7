"""What the gateway asks the webhooks service over NATS request-reply, and what each answers.

Subject: commands.webhooks.<name>; every command names its reply type (contracts/rpc.py), and a
refusal is `Refused(code, message)`. A queue group spreads the requests over the service's
replicas. The reads (endpoints, deliveries) are commands too: the gateway never reads the
service's tables.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.rpc import Command, subject_of

SERVICE = "webhooks"


class WebhookEndpoint(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    last_success_at: datetime | None
    created_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: str


class EndpointDeleted(BaseModel):
    id: str
    deleted: bool


class SecretRotated(BaseModel):
    id: str
    secret: str
    previous_secret_valid_until: str


class DeliveryQueued(BaseModel):
    delivery_id: str
    message_id: str


class Redelivered(DeliveryQueued):
    redelivery_of: str


class Attempt(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    next_attempt_at: datetime | None


class Delivery(BaseModel):
    id: str
    message_id: str
    event_type: str
    status: str
    attempts: list[Attempt]
    next_attempt_at: datetime | None
    redelivery_of: str | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int


class RegisterEndpoint(Command[WebhookEndpointWithSecret]):
    subject = subject_of(SERVICE, "register")

    project_id: str
    url: str
    event_types: list[str]
    description: str | None = None


class UpdateEndpoint(Command[WebhookEndpoint]):
    """Only the fields given change."""

    subject = subject_of(SERVICE, "update")

    project_id: str
    endpoint_id: str
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


class DeleteEndpoint(Command[EndpointDeleted]):
    subject = subject_of(SERVICE, "delete")

    project_id: str
    endpoint_id: str


class RotateSecret(Command[SecretRotated]):
    subject = subject_of(SERVICE, "rotate_secret")

    project_id: str
    endpoint_id: str


class SendTest(Command[DeliveryQueued]):
    subject = subject_of(SERVICE, "send_test")

    project_id: str
    endpoint_id: str


class Redeliver(Command[Redelivered]):
    subject = subject_of(SERVICE, "redeliver")

    project_id: str
    delivery_id: str


class ListEndpoints(Command[list[WebhookEndpoint]]):
    subject = subject_of(SERVICE, "endpoints")

    project_id: str


class GetEndpoint(Command[WebhookEndpoint]):
    subject = subject_of(SERVICE, "endpoint")

    project_id: str
    endpoint_id: str


class ListDeliveries(Command[DeliveryPage]):
    """An endpoint's deliveries, newest first, each with every attempt."""

    subject = subject_of(SERVICE, "deliveries")

    project_id: str
    endpoint_id: str
    limit: int = 50
    offset: int = 0


COMMANDS: tuple[type[Command], ...] = (RegisterEndpoint, UpdateEndpoint, DeleteEndpoint, RotateSecret, SendTest,
                                       Redeliver, ListEndpoints, GetEndpoint, ListDeliveries)
