"""How endpoint and delivery events change the webhooks service's read models.

Handlers here see the stored event (sequence and all): a row remembers the stream sequence of
its aggregate's last event (`version`), which the sender compares with the log before it sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from contracts import (
    WebhookDeliveryAttempted,
    WebhookDeliveryFailed,
    WebhookDeliveryScheduled,
    WebhookDeliverySucceeded,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointSecretRotated,
    WebhookEndpointUpdated,
)
from services.eventlog.reader import StoredEvent
from services.readmodels.projection import Projection, Rows
from services.webhooks.models import webhook_attempts, webhook_deliveries, webhook_subscriptions


class SequencedProjection(Projection):
    """A projection whose handlers get the StoredEvent (its `.event` and `.seq`)."""

    def apply(self, events: Iterable[StoredEvent], rows: Rows) -> None:
        for stored in events:
            handler = self.handlers.get(stored.type)
            if handler is not None:
                handler(stored, rows)


webhook_state = SequencedProjection("webhooks", webhook_subscriptions, webhook_deliveries, webhook_attempts)


def _endpoint(stored: StoredEvent, rows: Rows, **values) -> None:
    rows["webhook_subscriptions"].update(stored.event.aggregate_id, version=stored.seq, **values)


@webhook_state.on(WebhookEndpointRegistered)
def _registered(stored: StoredEvent, rows: Rows) -> None:
    event = cast(WebhookEndpointRegistered, stored.event)
    rows["webhook_subscriptions"].put({
        "endpoint_id": event.aggregate_id, "project_id": event.project_id, "url": event.payload.url,
        "event_types": event.payload.event_types, "description": event.payload.description,
        "status": "enabled", "sealed_secret": event.payload.sealed_secret,
        "registered_seq": stored.seq, "version": stored.seq, "created_at": event.occurred_at})


@webhook_state.on(WebhookEndpointUpdated)
def _updated(stored: StoredEvent, rows: Rows) -> None:
    change = stored.event.payload.model_dump(exclude_none=True)
    if "enabled" in change:
        enabled = change.pop("enabled")
        change.update(status="enabled" if enabled else "disabled", disabled_reason=None if enabled else "by API")
        if enabled:
            change["failing_since"] = None
    _endpoint(stored, rows, **change)


@webhook_state.on(WebhookEndpointSecretRotated)
def _rotated(stored: StoredEvent, rows: Rows) -> None:
    row = rows["webhook_subscriptions"].get(stored.event.aggregate_id)
    if row is not None:
        _endpoint(stored, rows, previous_sealed_secret=row["sealed_secret"],
                  previous_valid_until=stored.event.payload.previous_valid_until,
                  sealed_secret=stored.event.payload.sealed_secret)


@webhook_state.on(WebhookEndpointDisabled)
def _disabled(stored: StoredEvent, rows: Rows) -> None:
    _endpoint(stored, rows, status="disabled", disabled_reason=stored.event.payload.reason)


@webhook_state.on(WebhookEndpointDeleted)
def _deleted(stored: StoredEvent, rows: Rows) -> None:
    _endpoint(stored, rows, status="deleted", deleted_seq=stored.seq, sealed_secret=None,
              previous_sealed_secret=None)


@webhook_state.on(WebhookDeliveryScheduled)
def _scheduled(stored: StoredEvent, rows: Rows) -> None:
    event = cast(WebhookDeliveryScheduled, stored.event)
    rows["webhook_deliveries"].put({
        "delivery_id": event.aggregate_id, "project_id": event.project_id,
        "endpoint_id": event.payload.endpoint_id, "message_id": event.payload.message_id,
        "event_type": event.payload.event_type, "body": event.payload.body, "status": "pending",
        "attempts": 0, "next_attempt_at": event.occurred_at, "redelivery_of": event.payload.redelivery_of,
        "version": stored.seq, "created_at": event.occurred_at})


@webhook_state.on(WebhookDeliveryAttempted)
def _attempted(stored: StoredEvent, rows: Rows) -> None:
    event = cast(WebhookDeliveryAttempted, stored.event)
    attempt = event.payload
    rows["webhook_attempts"].put({"delivery_id": event.aggregate_id, **attempt.model_dump()})
    # The attempt decides the outcome; Succeeded or Failed follows it in a second append, which a
    # crash between the two can leave out: the row must not wait for it.
    outcome = "succeeded" if attempt.error is None else "pending" if attempt.next_attempt_at else "failed"
    rows["webhook_deliveries"].update(event.aggregate_id, attempts=attempt.attempt, version=stored.seq,
                                      status=outcome, next_attempt_at=attempt.next_attempt_at,
                                      last_status_code=attempt.status_code, last_error=attempt.error)
    endpoint = rows["webhook_subscriptions"].get(attempt.endpoint_id)
    if endpoint is None:
        return
    if attempt.error is None:
        rows["webhook_subscriptions"].update(attempt.endpoint_id, failing_since=None,
                                             last_success_at=attempt.attempted_at)
    elif endpoint["failing_since"] is None:
        rows["webhook_subscriptions"].update(attempt.endpoint_id, failing_since=attempt.attempted_at)


@webhook_state.on(WebhookDeliverySucceeded)
def _succeeded(stored: StoredEvent, rows: Rows) -> None:
    rows["webhook_deliveries"].update(stored.event.aggregate_id, status="succeeded", next_attempt_at=None,
                                      version=stored.seq)


@webhook_state.on(WebhookDeliveryFailed)
def _failed(stored: StoredEvent, rows: Rows) -> None:
    rows["webhook_deliveries"].update(stored.event.aggregate_id, status="failed", next_attempt_at=None,
                                      last_error=stored.event.payload.reason, version=stored.seq)


PROJECTIONS = [webhook_state]
