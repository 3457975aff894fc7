"""Decisions on endpoints and deliveries, each through `eventlog.commands.execute`: the aggregate's
own events, decided on, appended with their version; a refusal is `Refused(code, message)`.
The secret leaves only in an answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine

from contracts import (
    Event,
    WebhookDeliveryScheduled,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointSecretRotated,
    WebhookEndpointUpdated,
)
from contracts.public_events import WebhookTestData, webhook_body
from contracts.rpc import Refused
from contracts.webhook_commands import (
    DeleteEndpoint,
    DeliveryQueued,
    EndpointDeleted,
    Redeliver,
    Redelivered,
    RegisterEndpoint,
    RotateSecret,
    SecretRotated,
    SendTest,
    UpdateEndpoint,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from contracts.webhooks import PUBLIC_EVENT_TYPES
from services.eventlog.commands import execute
from services.eventlog.store import ConcurrencyError, EventStore
from services.readmodels.consistency import wait_for_checkpoint
from services.webhooks import queries
from services.webhooks.addresses import url_problem
from services.webhooks.secrets import SecretBox, new_signing_secret

ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS_PER_PROJECT = 50
ENDPOINT, DELIVERY = WebhookEndpointRegistered.aggregate, WebhookDeliveryScheduled.aggregate
CHANGEABLE = {"url", "event_types", "description", "enabled"}


@dataclass
class Endpoint:
    """An endpoint as its own events tell it."""

    project_id: str = ""
    url: str = ""
    event_types: list[str] = field(default_factory=list)
    description: str | None = None
    status: str = "missing"
    version: int = 0
    created_at: datetime | None = None

    def apply(self, event: Event, seq: int = 0) -> None:
        self.version = seq
        if isinstance(event, WebhookEndpointRegistered):
            self.project_id, self.url, self.event_types = event.project_id, event.payload.url, event.payload.event_types
            self.description, self.status, self.created_at = event.payload.description, "enabled", event.occurred_at
        elif isinstance(event, WebhookEndpointUpdated):
            change = event.payload
            self.url = change.url or self.url
            self.event_types = change.event_types or self.event_types
            self.description = change.description if change.description is not None else self.description
            if change.enabled is not None:
                self.status = "enabled" if change.enabled else "disabled"
        elif isinstance(event, WebhookEndpointDisabled):
            self.status = "disabled"
        elif isinstance(event, WebhookEndpointDeleted):
            self.status = "deleted"


def live_endpoint(history: Sequence[Event], project_id: str) -> Endpoint:
    """The project's endpoint from its events; NOT_FOUND when missing, deleted or another project's."""
    endpoint = Endpoint()
    for event in history:
        endpoint.apply(event)
    if endpoint.status in ("missing", "deleted") or endpoint.project_id != project_id:
        raise Refused("NOT_FOUND", "no such webhook endpoint")
    return endpoint


def _event_types(requested: list[str]) -> list[str]:
    unknown = sorted(set(requested) - set(PUBLIC_EVENT_TYPES))
    if unknown:
        raise Refused("VALIDATION_ERROR",
                      f"unknown event types: {', '.join(unknown)}; known: {', '.join(PUBLIC_EVENT_TYPES)}")
    return sorted(set(requested))


class WebhookCommands:
    def __init__(self, store: EventStore, engine: Engine, box: SecretBox, allow_private: bool,
                 read_your_writes_timeout: float = 3.0) -> None:
        self.store = store
        self.engine = engine
        self.box = box
        self.allow_private = allow_private
        self.read_your_writes_timeout = read_your_writes_timeout

    def _checked_url(self, url: str) -> str:
        problem = url_problem(url, self.allow_private)
        if problem:
            raise Refused("VALIDATION_ERROR", problem)
        return url

    async def _live(self, project_id: str, endpoint_id: str) -> Endpoint:
        return live_endpoint([stored.event for stored in await self.store.load(ENDPOINT, endpoint_id)], project_id)

    async def _decided(self, aggregate: str, aggregate_id: str, decide) -> None:
        """Run the decision and wait (bounded) until the read model holds what it appended."""
        try:
            appended = await execute(self.store, aggregate, aggregate_id, decide)
        except ConcurrencyError:
            raise Refused("CONFLICT", "the endpoint changed meanwhile; try again") from None
        if appended:
            await wait_for_checkpoint(self.engine, "webhooks", appended[-1], self.read_your_writes_timeout)

    async def _created(self, event: Event) -> None:
        """A new aggregate's first event (its id drawn at random a moment ago: no history to decide on)."""
        seq = await self.store.append(event, expected_last_seq=0)
        await wait_for_checkpoint(self.engine, "webhooks", seq, self.read_your_writes_timeout)

    async def _written(self, project_id: str, endpoint_id: str) -> WebhookEndpoint:
        """The endpoint as its read model shows it once the command's event is in."""
        endpoint = await queries.read(self.engine, queries.endpoint_out, project_id, endpoint_id)
        if endpoint is None:  # the projection did not catch up within the read-your-writes wait
            raise Refused("SERVICE_UNAVAILABLE", "the change is stored but not readable yet; read the endpoint again")
        return endpoint

    async def register(self, command: RegisterEndpoint) -> WebhookEndpointWithSecret:
        project_id = command.project_id
        if await queries.read(self.engine, queries.count_endpoints, project_id) >= MAX_ENDPOINTS_PER_PROJECT:
            raise Refused("CONFLICT", f"a project has at most {MAX_ENDPOINTS_PER_PROJECT} webhook endpoints")
        endpoint_id, secret = uuid.uuid4().hex, new_signing_secret()
        event = WebhookEndpointRegistered(project_id=project_id, aggregate_id=endpoint_id, payload={
            "url": self._checked_url(command.url), "event_types": _event_types(command.event_types),
            "description": command.description, "sealed_secret": self.box.seal(secret, endpoint_id)})
        await self._created(event)
        written = await self._written(project_id, endpoint_id)
        return WebhookEndpointWithSecret(**written.model_dump(), secret=secret)

    async def update(self, command: UpdateEndpoint) -> WebhookEndpoint:
        await self._live(command.project_id, command.endpoint_id)  # a missing endpoint is 404 before a bad url
        change: dict[str, Any] = command.model_dump(include=CHANGEABLE, exclude_none=True)
        if "url" in change:
            self._checked_url(change["url"])
        if "event_types" in change:
            change["event_types"] = _event_types(change["event_types"])

        def decide(history: Sequence[Event]) -> list[Event]:
            live_endpoint(history, command.project_id)
            return [WebhookEndpointUpdated(project_id=command.project_id, aggregate_id=command.endpoint_id,
                                           payload=change)]

        await self._decided(ENDPOINT, command.endpoint_id, decide)
        return await self._written(command.project_id, command.endpoint_id)

    async def delete(self, command: DeleteEndpoint) -> EndpointDeleted:
        def decide(history: Sequence[Event]) -> list[Event]:
            live_endpoint(history, command.project_id)
            return [WebhookEndpointDeleted(project_id=command.project_id, aggregate_id=command.endpoint_id)]

        await self._decided(ENDPOINT, command.endpoint_id, decide)
        return EndpointDeleted(id=command.endpoint_id, deleted=True)

    async def rotate_secret(self, command: RotateSecret) -> SecretRotated:
        endpoint_id = command.endpoint_id
        secret, until = new_signing_secret(), datetime.now(UTC) + ROTATION_OVERLAP
        sealed = self.box.seal(secret, endpoint_id)

        def decide(history: Sequence[Event]) -> list[Event]:
            live_endpoint(history, command.project_id)
            return [WebhookEndpointSecretRotated(project_id=command.project_id, aggregate_id=endpoint_id, payload={
                "sealed_secret": sealed, "previous_valid_until": until})]

        await self._decided(ENDPOINT, endpoint_id, decide)
        return SecretRotated(id=endpoint_id, secret=secret, previous_secret_valid_until=until.isoformat())

    async def send_test(self, command: SendTest) -> DeliveryQueued:
        await self._live(command.project_id, command.endpoint_id)
        delivery_id = uuid.uuid4().hex
        body = webhook_body("webhook.test", datetime.now(UTC),
                            WebhookTestData(endpoint_id=command.endpoint_id, message="a test from Dashloom"))
        scheduled = WebhookDeliveryScheduled(project_id=command.project_id, aggregate_id=delivery_id, payload={
            "endpoint_id": command.endpoint_id, "message_id": f"msg_{delivery_id}", "event_type": "webhook.test",
            "source_event_id": delivery_id, "body": body})
        await self._created(scheduled)
        return DeliveryQueued(delivery_id=delivery_id, message_id=f"msg_{delivery_id}")

    async def redeliver(self, command: Redeliver) -> Redelivered:
        project_id = command.project_id
        history = await self.store.load(DELIVERY, command.delivery_id)
        if not history or history[0].event.project_id != project_id:
            raise Refused("NOT_FOUND", "no such webhook delivery")
        original = cast(WebhookDeliveryScheduled, history[0].event)  # a delivery starts with it
        await self._live(project_id, original.payload.endpoint_id)
        new_id = uuid.uuid4().hex
        again = WebhookDeliveryScheduled(project_id=project_id, aggregate_id=new_id, payload={
            **original.payload.model_dump(), "redelivery_of": command.delivery_id})
        await self._created(again)
        return Redelivered(delivery_id=new_id, message_id=original.payload.message_id,
                           redelivery_of=command.delivery_id)

