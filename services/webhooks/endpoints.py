"""Commands on endpoints and deliveries: load the aggregate from the log, decide, append.

Each answers a plain dict for the caller (the gateway, over request-reply); `CommandRefused`
carries the status and message the API answers with. The secret leaves only in an answer.
"""

from __future__ import annotations

import uuid
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
from contracts.webhooks import PUBLIC_EVENT_TYPES
from services.eventlog.store import ConcurrencyError, EventStore
from services.readmodels.consistency import wait_for_checkpoint
from services.webhooks.addresses import url_problem
from services.webhooks.queries import count_endpoints, endpoint_out
from services.webhooks.secrets import SecretBox, new_signing_secret

ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS_PER_PROJECT = 50


class CommandRefused(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


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

    def apply(self, event: Event, seq: int) -> None:
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


def _event_types(requested: list[str]) -> list[str]:
    unknown = sorted(set(requested) - set(PUBLIC_EVENT_TYPES))
    if unknown:
        raise CommandRefused(422, f"unknown event types: {', '.join(unknown)}; known: {', '.join(PUBLIC_EVENT_TYPES)}")
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
            raise CommandRefused(422, problem)
        return url

    async def _load(self, project_id: str, endpoint_id: str) -> Endpoint:
        endpoint = Endpoint()
        for stored in await self.store.load("webhook", endpoint_id):
            endpoint.apply(stored.event, stored.seq)
        if endpoint.status in ("missing", "deleted") or endpoint.project_id != project_id:
            raise CommandRefused(404, "no such webhook endpoint")
        return endpoint

    async def _append(self, event: Event, expected: int) -> int:
        try:
            seq = await self.store.append(event, expected_last_seq=expected)
        except ConcurrencyError:
            raise CommandRefused(409, "the endpoint changed meanwhile; try again") from None
        await wait_for_checkpoint(self.engine, "webhooks", seq, self.read_your_writes_timeout)
        return seq

    def _written(self, project_id: str, endpoint_id: str) -> dict[str, Any]:
        """The endpoint as its read model shows it once the command's event is in."""
        endpoint = endpoint_out(self.engine, project_id, endpoint_id)
        if endpoint is None:  # the projection did not catch up within the read-your-writes wait
            raise CommandRefused(503, "the change is stored but not readable yet; read the endpoint again")
        return endpoint

    async def register(self, project_id: str, url: str, event_types: list[str], description: str | None) -> dict:
        if count_endpoints(self.engine, project_id) >= MAX_ENDPOINTS_PER_PROJECT:
            raise CommandRefused(409, f"a project has at most {MAX_ENDPOINTS_PER_PROJECT} webhook endpoints")
        endpoint_id, secret = uuid.uuid4().hex, new_signing_secret()
        event = WebhookEndpointRegistered(project_id=project_id, aggregate_id=endpoint_id, payload={
            "url": self._checked_url(url), "event_types": _event_types(event_types), "description": description,
            "sealed_secret": self.box.seal(secret, endpoint_id)})
        await self._append(event, 0)
        return {**self._written(project_id, endpoint_id), "secret": secret}

    async def update(self, project_id: str, endpoint_id: str, change: dict[str, Any]) -> dict:
        endpoint = await self._load(project_id, endpoint_id)
        if "url" in change:
            self._checked_url(change["url"])
        if "event_types" in change:
            change["event_types"] = _event_types(change["event_types"])
        event = WebhookEndpointUpdated(project_id=project_id, aggregate_id=endpoint_id, payload=change)
        await self._append(event, endpoint.version)
        return self._written(project_id, endpoint_id)

    async def delete(self, project_id: str, endpoint_id: str) -> dict:
        endpoint = await self._load(project_id, endpoint_id)
        await self._append(WebhookEndpointDeleted(project_id=project_id, aggregate_id=endpoint_id), endpoint.version)
        return {"id": endpoint_id, "deleted": True}

    async def rotate_secret(self, project_id: str, endpoint_id: str) -> dict:
        endpoint = await self._load(project_id, endpoint_id)
        secret, until = new_signing_secret(), datetime.now(UTC) + ROTATION_OVERLAP
        event = WebhookEndpointSecretRotated(project_id=project_id, aggregate_id=endpoint_id, payload={
            "sealed_secret": self.box.seal(secret, endpoint_id), "previous_valid_until": until})
        await self._append(event, endpoint.version)
        return {"id": endpoint_id, "secret": secret, "previous_secret_valid_until": until.isoformat()}

    async def send_test(self, project_id: str, endpoint_id: str) -> dict:
        await self._load(project_id, endpoint_id)
        delivery_id = uuid.uuid4().hex
        body = webhook_body("webhook.test", datetime.now(UTC),
                            WebhookTestData(endpoint_id=endpoint_id, message="a test from Dashloom"))
        scheduled = WebhookDeliveryScheduled(project_id=project_id, aggregate_id=delivery_id, payload={
            "endpoint_id": endpoint_id, "message_id": f"msg_{delivery_id}", "event_type": "webhook.test",
            "source_event_id": delivery_id, "body": body})
        await self._append(scheduled, 0)
        return {"delivery_id": delivery_id, "message_id": f"msg_{delivery_id}"}

    async def redeliver(self, project_id: str, delivery_id: str) -> dict:
        history = await self.store.load("webhookdelivery", delivery_id)
        if not history or history[0].event.project_id != project_id:
            raise CommandRefused(404, "no such webhook delivery")
        original = cast(WebhookDeliveryScheduled, history[0].event)  # a delivery starts with it
        await self._load(project_id, original.payload.endpoint_id)
        new_id = uuid.uuid4().hex
        again = WebhookDeliveryScheduled(project_id=project_id, aggregate_id=new_id, payload={
            **original.payload.model_dump(), "redelivery_of": delivery_id})
        await self._append(again, 0)
        return {"delivery_id": new_id, "message_id": original.payload.message_id, "redelivery_of": delivery_id}
