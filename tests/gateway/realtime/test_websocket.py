"""GET /api/v1/ws over a real socket (uvicorn) with the `websockets` client: current state first,
then every step in order, from the bus; tickets; another project's id refused."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import pytest
import uvicorn
import websockets

from services.eventlog.connection import connect
from services.gateway.app import Gateway, create_app
from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle, new_id
from tests.generation.conftest import worker  # noqa: F401  (the real generation worker, as a fixture)
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate
from tests.webhooks.receiving import free_port


@pytest.fixture
async def gateway_server(nats_server, engine, settings, projections):
    """Call it to start one more gateway instance on a real port; answers its ws:// base URL."""
    running: list[tuple[uvicorn.Server, asyncio.Task]] = []
    connections = []

    async def start(**overrides) -> str:
        nc = await connect(nats_server.url, "gateway-under-test")
        connections.append(nc)
        app = create_app(await Gateway.connect(settings.model_copy(update=overrides), nc, engine))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        running.append((server, asyncio.create_task(server.serve())))
        while not server.started:
            await asyncio.sleep(0.01)
        return f"127.0.0.1:{port}"

    yield start
    for server, task in running:
        server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 10)
    for nc in connections:
        await nc.close()


async def frames_until_final(socket, timeout: float = 20) -> list[dict]:
    frames: list[dict] = []
    async with asyncio.timeout(timeout):
        while not frames or frames[-1].get("status") not in ("completed", "failed"):
            frames.append(orjson.loads(await socket.recv()))
    return frames


def steps(frames: list[dict]) -> list[tuple]:
    return [(f["type"], f.get("stage"), f.get("percent")) for f in frames]


async def test_a_subscriber_gets_the_state_then_every_step_in_order(gateway_server, new_project, store, engine):
    host = await gateway_server()
    project = await new_project()
    generation_id = new_id()
    lifecycle = generation_lifecycle(generation_id, project_id=project.project_id)
    await store.append_many(lifecycle[:1])
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as socket:
        await socket.send(orjson.dumps({"subscribe": [generation_id]}).decode())
        first = orjson.loads(await socket.recv())
        assert first == {"generation_id": generation_id, "type": "state", "status": "processing",
                         "stage": "queued", "percent": 0}
        await store.append_many(lifecycle[1:])
        frames = await frames_until_final(socket)
    assert steps(frames) == [("progress", "parsing", 0), ("progress", "parsing", 10), ("progress", "profiling", 40),
                             ("progress", "choosing", 70), ("progress", "rendering", 90), ("completed", None, None)]
    assert frames[-1]["dashboard_id"] == f"dsh_{generation_id}" and frames[-1]["links"]["view"]


async def test_a_finished_generation_answers_its_state_and_another_projects_id_an_error(
        gateway_server, new_project, store, engine):
    host = await gateway_server()
    mine, theirs = await new_project("mine"), await new_project("theirs")
    done_id, their_id = new_id(), new_id()
    await store.append_many(generation_lifecycle(done_id, project_id=mine.project_id)
                            + generation_lifecycle(their_id, project_id=theirs.project_id))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=mine.auth) as socket:
        await socket.send(orjson.dumps({"subscribe": [done_id, their_id]}).decode())
        done, refused = orjson.loads(await socket.recv()), orjson.loads(await socket.recv())
        await socket.send("not json")
        bad = orjson.loads(await socket.recv())
    assert done["status"] == "completed" and done["dashboard_id"] == f"dsh_{done_id}" and done["percent"] == 100
    assert refused == {"error": "no such generation", "code": "NOT_FOUND", "generation_id": their_id}
    assert bad["code"] == "BAD_REQUEST"


async def test_no_key_or_a_spent_ticket_is_refused(gateway_server, client, new_project):
    host = await gateway_server()
    project = await new_project()
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(f"ws://{host}/api/v1/ws"):
            pass
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers={"Authorization": "Bearer dl_live_nope"}):
            pass
    ticket = (await client.post("/api/v1/ws-tickets", headers=project.auth)).json()["data"]["ticket"]
    async with websockets.connect(f"ws://{host}/api/v1/ws?ticket={ticket}") as socket:
        await socket.send(orjson.dumps({"subscribe": ["nope"]}).decode())
        assert orjson.loads(await socket.recv())["code"] == "NOT_FOUND"
    with pytest.raises(websockets.InvalidStatus):
        async with websockets.connect(f"ws://{host}/api/v1/ws?ticket={ticket}"):
            pass


async def test_from_upload_202_to_completion_through_a_second_gateway(gateway_server, gateway_client, new_project,
                                                                      worker):  # noqa: F811
    """The upload goes to one gateway, the ticket is redeemed and the steps followed on another."""
    uploads = await gateway_client(generation_sync_seconds=0.0)
    host = await gateway_server()
    project = await new_project()
    answer = await generate(uploads, project, encoded(sales(100_000), "csv"))  # takes seconds: time to subscribe
    assert answer.status_code == 202, answer.text
    generation_id = answer.json()["data"]["generation_id"]
    ticket = (await uploads.post("/api/v1/ws-tickets", headers=project.auth)).json()["data"]["ticket"]
    async with websockets.connect(f"ws://{host}/api/v1/ws?ticket={ticket}") as socket:
        await socket.send(orjson.dumps({"subscribe": [generation_id]}).decode())
        frames = await frames_until_final(socket)
    assert frames[0]["type"] == "state" and frames[-1]["type"] == "completed" and len(frames) >= 3
    percents = [f["percent"] for f in frames if f["type"] != "completed"]
    assert percents == sorted(percents)
    order = ["queued", "parsing", "profiling", "choosing", "rendering"]
    stages = [order.index(f["stage"]) for f in frames if f["type"] != "completed"]
    assert stages == sorted(stages) and frames[-1]["dashboard_id"]
