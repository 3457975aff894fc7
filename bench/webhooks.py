"""Webhook deliveries per second to a local receiver, beside that receiver's own request rate,
in the same run.

    .venv/bin/python bench/webhooks.py [--deliveries 1000] [--endpoints 4]

The webhooks service is the real process (`python -m services.webhooks`, SQLite read models,
the embedded nats-server): public events are appended, fanned out into deliveries, signed,
POSTed and recorded (Attempted + Succeeded per delivery). The receiver is a uvicorn app in this
process. Baseline: the same receiver taking signed POSTs of the same size straight from httpx,
with as many requests in flight as the service allows (endpoints x per-endpoint concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.webhook_commands import RegisterEndpoint  # noqa: E402
from services.eventlog.connection import connect  # noqa: E402
from services.eventlog.store import EventStore  # noqa: E402
from services.gateway.project.commands import create_project  # noqa: E402
from services.platform.up import prepare_bus  # noqa: E402
from services.runtime.nats_server import NatsServer  # noqa: E402
from services.runtime.settings import Settings  # noqa: E402
from tests.factories import generation_lifecycle, new_id  # noqa: E402
from tests.webhooks.receiving import Receiver  # noqa: E402


async def register(nc, project_id: str, url: str) -> None:
    request = RegisterEndpoint(project_id=project_id, url=url, event_types=["generation.completed"],
                               description="bench").model_dump_json().encode()
    for _ in range(150):
        try:
            answer = orjson.loads((await nc.request(RegisterEndpoint.subject, request, timeout=5)).data)
            assert answer["ok"], answer
            return
        except Exception:  # the service is still starting
            await asyncio.sleep(0.2)
    raise TimeoutError("the webhooks service did not answer")


async def receiver_rate(receiver: Receiver, body: bytes, count: int, in_flight: int) -> float:
    """The receiver's own rate: signed-looking POSTs of the same size, `in_flight` at a time."""
    headers = {"webhook-id": "msg_bench", "webhook-timestamp": str(int(time.time())),
               "webhook-signature": "v1," + "A" * 44, "content-type": "application/json"}
    before = len(receiver.requests)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=in_flight)) as client:
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                await client.post(receiver.url("/baseline"), content=body, headers=headers)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        seconds = time.perf_counter() - started
    assert len(receiver.requests) - before == count
    return count / seconds


async def main(deliveries: int, endpoints: int) -> None:
    concurrency = Settings().webhooks_endpoint_concurrency
    with tempfile.TemporaryDirectory() as work:
        server = NatsServer(Path(work) / "nats").start()
        service = None
        try:
            await prepare_bus(server.url, 1)
            environment = {**os.environ, "DASHLOOM_NATS_URL": server.url, "DASHLOOM_STATE_DIR": work,
                           "DASHLOOM_WEBHOOKS_ALLOW_PRIVATE": "1"}
            service = subprocess.Popen([sys.executable, "-m", "services.webhooks"], env=environment, cwd=ROOT,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            nc = await connect(server.url, "bench")
            store = EventStore(nc.jetstream())
            project_id, _ = await create_project(store, "bench", "premium")
            async with Receiver() as receiver:
                for number in range(endpoints):
                    await register(nc, project_id, receiver.url(f"/hook{number}"))
                events = [e for _ in range(deliveries // endpoints)
                          for e in generation_lifecycle(new_id(), project_id)]
                started = time.perf_counter()
                await store.append_many(events)
                expected = deliveries // endpoints * endpoints
                while len(receiver.requests) < expected:
                    await asyncio.sleep(0.05)
                service_rate = expected / (time.perf_counter() - started)
                arrivals = sorted(r.at for r in receiver.requests)
                first_after = arrivals[0] - (time.monotonic() - (time.perf_counter() - started))
                steady_rate = (expected - 1) / max(arrivals[-1] - arrivals[0], 1e-9)
                body = receiver.requests[0].body
                baseline = await receiver_rate(receiver, body, expected, endpoints * concurrency)
            await nc.close()
        finally:
            if service is not None:
                service.terminate()
                service.wait(30)
            server.stop()
    print(f"webhook deliveries: {expected} to {endpoints} endpoint(s), {concurrency} in flight per endpoint, "
          f"body {len(body)} B")
    print(f"  webhooks service (event -> fan-out -> signed POST -> recorded): {service_rate:8.0f} deliveries/s")
    print(f"  first delivery {first_after:.2f} s after the events were appended; from then on {steady_rate:.0f}/s")
    print(f"  the receiver's own rate (httpx, {endpoints * concurrency} in flight):      {baseline:8.0f} requests/s")
    print(f"  ratio service / receiver: {service_rate / baseline:.2f}   target >= 0.70")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.deliveries, arguments.endpoints))
