"""Every read of the webhooks service's read models: functions of a Connection, answering the
types of contracts/webhook_commands.py. The gateway reads them only through commands (rpc.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, func, select

from contracts.webhook_commands import Attempt, Delivery, DeliveryPage, WebhookEndpoint
from services.readmodels.database import create_tables
from services.webhooks.models import metadata, webhook_attempts, webhook_deliveries, webhook_subscriptions

T = TypeVar("T")
endpoints = webhook_subscriptions.c
_ready: set[int] = set()


async def read(engine: Engine, query: Callable[..., T], *arguments: object) -> T:
    """Run `query(conn, *arguments)` in a worker thread; the tables exist even before the service's
    projections first ran (then they are empty)."""
    def run() -> T:
        if id(engine) not in _ready:
            create_tables(engine, metadata.sorted_tables)
            _ready.add(id(engine))
        with engine.connect() as conn:
            return query(conn, *arguments)

    return await asyncio.to_thread(run)


def _endpoint(row) -> WebhookEndpoint:
    return WebhookEndpoint(id=row.endpoint_id, url=row.url, events=row.event_types, description=row.description,
                           status=row.status, disabled_reason=row.disabled_reason, failing_since=row.failing_since,
                           last_success_at=row.last_success_at, created_at=row.created_at)


def list_endpoints(conn: Connection, project_id: str) -> list[WebhookEndpoint]:
    rows = conn.execute(select(webhook_subscriptions).where(endpoints.project_id == project_id,
                                                            endpoints.status != "deleted")
                        .order_by(endpoints.created_at)).all()
    return [_endpoint(row) for row in rows]


def count_endpoints(conn: Connection, project_id: str) -> int:
    return conn.execute(select(func.count()).where(endpoints.project_id == project_id,
                                                   endpoints.status != "deleted")).scalar_one()


def endpoint_out(conn: Connection, project_id: str, endpoint_id: str) -> WebhookEndpoint | None:
    row = conn.execute(select(webhook_subscriptions).where(
        endpoints.endpoint_id == endpoint_id, endpoints.project_id == project_id,
        endpoints.status != "deleted")).first()
    return None if row is None else _endpoint(row)


def deliveries_of(conn: Connection, endpoint_id: str, limit: int, offset: int) -> DeliveryPage:
    """An endpoint's deliveries, newest first, each with every attempt; and their total."""
    deliveries = webhook_deliveries.c
    total = conn.execute(select(func.count()).where(deliveries.endpoint_id == endpoint_id)).scalar_one()
    rows = conn.execute(select(webhook_deliveries).where(deliveries.endpoint_id == endpoint_id)
                        .order_by(deliveries.created_at.desc(), deliveries.delivery_id)
                        .limit(limit).offset(offset)).all()
    attempts = conn.execute(select(webhook_attempts).where(
        webhook_attempts.c.delivery_id.in_([r.delivery_id for r in rows]))
        .order_by(webhook_attempts.c.attempt)).all()
    by_delivery: dict[str, list[Attempt]] = {}
    for a in attempts:
        by_delivery.setdefault(a.delivery_id, []).append(Attempt(
            attempt=a.attempt, attempted_at=a.attempted_at, status_code=a.status_code, latency_ms=a.latency_ms,
            error=a.error, next_attempt_at=a.next_attempt_at))
    items = [Delivery(id=r.delivery_id, message_id=r.message_id, event_type=r.event_type, status=r.status,
                      attempts=by_delivery.get(r.delivery_id, []), next_attempt_at=r.next_attempt_at,
                      redelivery_of=r.redelivery_of, created_at=r.created_at) for r in rows]
    return DeliveryPage(items=items, total=total)
