"""One event of each webhook type, shaped as the webhooks service appends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts import (
    Event,
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


def webhook_events(project_id: str) -> list[Event]:
    now = datetime.now(UTC)
    hook = WebhookEndpointRegistered(project_id=project_id, aggregate_id="w1", payload={
        "url": "https://example.com/hook", "event_types": ["generation.completed"], "sealed_secret": "v1.AAAA"})
    scheduled = WebhookDeliveryScheduled(project_id=project_id, aggregate_id="dv1", payload={
        "endpoint_id": "w1", "message_id": "msg_dv1", "event_type": "generation.completed",
        "source_event_id": str(hook.event_id), "body": {"type": "generation.completed", "timestamp": now.isoformat(),
                                                        "data": {"generation_id": "g1"}}})
    attempt = {"endpoint_id": "w1", "attempt": 1, "attempted_at": now, "latency_ms": 12}
    return [
        hook,
        hook.caused(WebhookEndpointUpdated, payload={"event_types": ["generation.failed"], "enabled": True}),
        hook.caused(WebhookEndpointSecretRotated, payload={"sealed_secret": "v1.BBBB",
                                                           "previous_valid_until": now + timedelta(hours=24)}),
        hook.caused(WebhookEndpointDisabled, payload={"reason": "the endpoint answered 410 Gone"}),
        scheduled,
        scheduled.caused(WebhookDeliveryAttempted, name="attempt-1", payload={
            **attempt, "status_code": 500, "error": "HTTP 500", "next_attempt_at": now + timedelta(seconds=5)}),
        scheduled.caused(WebhookDeliveryAttempted, name="attempt-2", payload={**attempt, "attempt": 2,
                                                                              "status_code": 200}),
        scheduled.caused(WebhookDeliverySucceeded, payload={"endpoint_id": "w1", "attempts": 2}),
        scheduled.caused(WebhookDeliveryFailed, aggregate_id="dv2",
                         payload={"endpoint_id": "w1", "attempts": 8, "reason": "HTTP 500"}),
        hook.caused(WebhookEndpointDeleted),
    ]
