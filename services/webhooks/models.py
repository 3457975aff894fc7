"""Read models of the webhooks service: endpoints as the sender needs them, deliveries, attempts.

The gateway reads them through services/webhooks/queries.py, never writes them.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table

from services.readmodels.types import UtcDateTime

metadata = MetaData()

# Deleted endpoints keep their row (status "deleted"): the fan-out asks which endpoints existed
# at an event's stream sequence, which `registered_seq` and `deleted_seq` answer.
webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("endpoint_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", String(500)),
    Column("status", String(16), nullable=False),  # enabled | disabled | deleted
    Column("disabled_reason", String(500)),
    Column("sealed_secret", String(200)),
    Column("previous_sealed_secret", String(200)),
    Column("previous_valid_until", UtcDateTime()),
    Column("failing_since", UtcDateTime()),
    Column("last_success_at", UtcDateTime()),
    Column("registered_seq", Integer, nullable=False),
    Column("deleted_seq", Integer),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("project_id", String(128), nullable=False),
    Column("endpoint_id", String(64), nullable=False, index=True),
    Column("message_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("body", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), index=True),
    Column("last_status_code", Integer),
    Column("last_error", String(500)),
    Column("redelivery_of", String(64)),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("endpoint_id", String(64), nullable=False, index=True),
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error", String(500)),
    Column("next_attempt_at", UtcDateTime()),
)
