"""kill -9 of the webhooks service in the middle of 200 deliveries: every one arrives at least
once, each with its stable webhook-id; a rebuild of the read model afterwards sends nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from standardwebhooks import Webhook

from contracts import GenerationCompleted
from services.readmodels.rebuild import Rebuild
from services.webhooks.fanout import delivery_id
from services.webhooks.projections import webhook_state
from tests.factories import generation_lifecycle, new_id

DELIVERIES = 200


def start_service(nats_url: str, database_url: str, state_dir, log_file) -> subprocess.Popen:
    environment = {**os.environ, "DASHLOOM_NATS_URL": nats_url, "DASHLOOM_DATABASE_URL": database_url,
                   "DASHLOOM_STATE_DIR": str(state_dir), "DASHLOOM_WEBHOOKS_ALLOW_PRIVATE": "1",
                   "DASHLOOM_HEARTBEAT_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "services.webhooks"], env=environment,
                            stdout=log_file, stderr=subprocess.STDOUT)


async def register_when_up(client, project, url: str) -> dict:
    async with asyncio.timeout(30):
        while True:
            answer = await client.post("/api/v1/webhooks", headers=project.auth,
                                       json={"url": url, "events": ["generation.completed"]})
            if answer.status_code != 503:
                assert answer.status_code == 201, answer.text
                return answer.json()["data"]
            await asyncio.sleep(0.2)


@pytest.mark.timeout(240)
async def test_kill_9_in_the_middle_loses_nothing(nats_server, store, engine, database_url, client, new_project,
                                                  receiver, tmp_path):
    state_dir = tmp_path / "webhooks-state"
    log_path = tmp_path / "webhooks.log"
    with open(log_path, "ab") as log_file:
        service = start_service(nats_server.url, database_url, state_dir, log_file)
        try:
            project = await new_project()
            endpoint = await register_when_up(client, project, receiver.url())
            events = [e for _ in range(DELIVERIES) for e in generation_lifecycle(new_id(), project.project_id)]
            await store.append_many(events)
            await receiver.wait_for(50, timeout=60)
            service.send_signal(signal.SIGKILL)
            service.wait(10)
            killed_at = len(receiver.at("/hook"))
            service = start_service(nats_server.url, database_url, state_dir, log_file)
            expected = {f"msg_{delivery_id(str(e.event_id), endpoint['id'])}"
                        for e in events if isinstance(e, GenerationCompleted)}
            async with asyncio.timeout(120):
                while {r.headers["webhook-id"] for r in receiver.at("/hook")} != expected:
                    await asyncio.sleep(0.2)
            assert killed_at < DELIVERIES
            verifier = Webhook(endpoint["secret"])
            by_id: dict[str, bytes] = {}
            for request in receiver.at("/hook"):
                verifier.verify(request.body, request.headers)
                assert by_id.setdefault(request.headers["webhook-id"], request.body) == request.body
            await all_succeeded(client, project, endpoint["id"])
            sent = len(receiver.at("/hook"))
            report = await Rebuild(store.reader, engine, webhook_state).run()
            assert report.rows["webhook_deliveries"] == DELIVERIES
            await asyncio.sleep(2.0)
            assert len(receiver.at("/hook")) == sent
        finally:
            service.send_signal(signal.SIGTERM)
            service.wait(20)
    print(f"received {sent} requests for {DELIVERIES} deliveries; killed after {killed_at}")


async def all_succeeded(client, project, endpoint_id: str) -> None:
    async with asyncio.timeout(60):
        while True:
            listed = (await client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries?limit=1000",
                                       headers=project.auth)).json()
            if listed["pagination"]["total"] == DELIVERIES and {d["status"] for d in listed["data"]} == {"succeeded"}:
                return
            await asyncio.sleep(0.2)
