"""Operational metrics (Prometheus), one set per service process, served at /metrics on
DASHLOOM_METRICS_PORT (never on the API's port: the scrape stays inside the operator's network).

Not the product's usage metrics (gateway/metrics/). Labels are bounded: a route's template, never
its path (a share token, a dashboard id); no key, no project, no address.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterator

from nats.aio.client import Client
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("dashloom_http_requests", "HTTP requests answered, by route template, method and status",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("dashloom_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["route", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
GENERATIONS = Counter("dashloom_generations", "Generations ended, by outcome (completed, failed) and failure code",
                      ["outcome", "code"])
GENERATION_STAGE_SECONDS = Histogram("dashloom_generation_stage_duration_seconds", "Time a generation spent in "
                                     "a stage", ["stage"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
PROJECTION_LAG = Gauge("dashloom_projection_lag_events", "Events in the stream not yet applied by a projection",
                       ["projection"])
PROJECTION_PARKED = Gauge("dashloom_projection_parked_events", "Events a projection could not apply (parked)",
                          ["projection"])
WEBHOOK_ATTEMPTS = Counter("dashloom_webhook_attempts", "Webhook POSTs, by result (delivered, failed)", ["result"])


class BusReconnects(Collector):
    """The process's reconnects to the bus, read from its connections at each scrape."""

    def __init__(self) -> None:
        self.connections: weakref.WeakSet[Client] = weakref.WeakSet()

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily("dashloom_bus_reconnects", "Reconnects of this process's NATS connections")
        family.add_metric([], float(sum(nc.stats["reconnects"] for nc in list(self.connections))))
        yield family


BUS_RECONNECTS = BusReconnects()
REGISTRY.register(BUS_RECONNECTS)


def serve_metrics(port: int, host: str, nc: Client) -> None:
    """Count `nc`'s reconnects; start the /metrics endpoint in its own thread (prometheus-client's
    server) unless `port` is 0."""
    BUS_RECONNECTS.connections.add(nc)
    if port:
        start_http_server(port, host)
        log.info("metrics on http://%s:%d/metrics", host, port)


async def follow_projections(last_seq: Callable, checkpoints: Callable[[], dict[str, int]],
                             parked: Callable[[], dict[str, int]], stop: asyncio.Event, every: float) -> None:
    """Keep the projection gauges current: `last_seq` the stream's, `checkpoints` each runner's own,
    `parked` (blocking, a database read) the parked counts."""
    while not stop.is_set():
        last = await last_seq()
        counts = await asyncio.to_thread(parked)
        for name, checkpoint in checkpoints().items():
            PROJECTION_LAG.labels(name).set(max(last - checkpoint, 0))
            PROJECTION_PARKED.labels(name).set(counts.get(name, 0))
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass
