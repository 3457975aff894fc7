"""GET /api/v1/ws over a real socket (uvicorn) with the `websockets` client: current state first,
then every step in order, from the bus; tickets; another project's id refused."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import websockets

from contracts.embedding import project_audience
from services.readmodels.consistency import wait_for_checkpoint
from tests.embedding.tokens import HS_SECRET, bearer, claims_for, signed
from tests.factories import generation_lifecycle, new_id
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate


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


@pytest.mark.parametrize("ticket", ["%3E", "*", ".a", "%00", "a.b.c", "x" * 200])
async def test_a_malformed_ticket_is_refused_never_a_server_error(gateway_server, ticket):
    host = await gateway_server()
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://{host}/api/v1/ws?ticket={ticket}"):
            pass
    assert refused.value.response.status_code == 403  # refused before the handshake, as every bad credential


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


async def subscribe(socket, *generation_ids: str) -> dict:
    await socket.send(orjson.dumps({"subscribe": list(generation_ids)}).decode())
    async with asyncio.timeout(10):
        return orjson.loads(await socket.recv())


async def running(store, engine, project, count: int = 1, steps: int = 1) -> list[tuple[str, list]]:
    """Generations whose first `steps` events are in the read model; answers (id, lifecycle)."""
    made = []
    for _ in range(count):
        generation_id = new_id()
        lifecycle = generation_lifecycle(generation_id, project_id=project.project_id)
        await store.append_many(lifecycle[:steps])
        made.append((generation_id, lifecycle))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    return made


async def test_a_project_over_its_sockets_over_every_gateway_is_told_and_closed(gateway_server, new_project):
    one, two = await gateway_server(ws_connections_per_project=2), await gateway_server(ws_connections_per_project=2)
    project, other = await new_project("mine"), await new_project("other")
    async with (websockets.connect(f"ws://{one}/api/v1/ws", additional_headers=project.auth) as first,
                websockets.connect(f"ws://{two}/api/v1/ws", additional_headers=project.auth),
                websockets.connect(f"ws://{one}/api/v1/ws", additional_headers=other.auth) as theirs):
        for host in (one, two):
            async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as third:
                refusal = orjson.loads(await asyncio.wait_for(third.recv(), 10))
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(third.recv(), 10)
            assert refusal == {"error": "at most 2 websockets open at once per project", "code": "RATE_LIMITED"}
            assert (third.close_code, third.close_reason) == (1008, "RATE_LIMITED")
        assert (await subscribe(theirs, "nope"))["code"] == "NOT_FOUND"  # another project's sockets still open
        await first.close()
        async with asyncio.timeout(10):  # the place is given back as soon as the gateway sees the close
            while True:
                async with websockets.connect(f"ws://{two}/api/v1/ws", additional_headers=project.auth) as again:
                    answer = await subscribe(again, "nope")
                if answer["code"] == "NOT_FOUND":
                    break
                await asyncio.sleep(0.05)


async def test_followed_generations_are_capped_per_project(gateway_server, new_project, store, engine):
    one, two = (await gateway_server(ws_subscriptions_per_project=1), await gateway_server(ws_subscriptions_per_project=1))
    project = await new_project()
    (first_id, first), (second_id, _) = await running(store, engine, project, count=2)
    finished_id = new_id()
    await store.append_many(generation_lifecycle(finished_id, project_id=project.project_id))
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    async with (websockets.connect(f"ws://{one}/api/v1/ws", additional_headers=project.auth) as a,
                websockets.connect(f"ws://{two}/api/v1/ws", additional_headers=project.auth) as b):
        assert (await subscribe(a, first_id))["type"] == "state"
        refused = await subscribe(b, second_id)
        assert refused == {"error": "at most 1 generations followed at once per project", "code": "RATE_LIMITED",
                           "generation_id": second_id}
        assert (await subscribe(b, finished_id))["status"] == "completed"  # a finished one is only a state
        await store.append_many(first[1:])
        assert (await frames_until_final(a))[-1]["type"] == "completed"
        async with asyncio.timeout(10):  # the finished follow gives its place back
            while (answer := await subscribe(b, second_id)).get("code") == "RATE_LIMITED":
                await asyncio.sleep(0.05)
        assert answer["type"] == "state" and answer["generation_id"] == second_id


async def test_a_stopping_gateway_closes_with_1012_and_a_reconnect_gets_the_current_state(
        gateway_server, new_project, store, engine):
    one, two = await gateway_server(), await gateway_server()
    project = await new_project()
    [(generation_id, lifecycle)] = await running(store, engine, project, steps=3)
    async with websockets.connect(f"ws://{one}/api/v1/ws", additional_headers=project.auth) as socket:
        assert (await subscribe(socket, generation_id))["percent"] == 10
        await gateway_server.stop(one)
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(10):
                while True:
                    await socket.recv()
    assert (socket.close_code, socket.close_reason) == (1012, "")  # service restart: come back
    await store.append_many(lifecycle[3:5])  # it went on while the client was away
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    async with websockets.connect(f"ws://{two}/api/v1/ws", additional_headers=project.auth) as socket:
        state = await subscribe(socket, generation_id)
        assert (state["type"], state["stage"], state["percent"]) == ("state", "choosing", 70)
        await store.append_many(lifecycle[5:])
        assert steps(await frames_until_final(socket)) == [("progress", "rendering", 90), ("completed", None, None)]


async def test_the_gateway_pings_and_drops_a_client_that_never_answers(gateway_server, new_project):
    """A raw socket that never answers pings: the gateway pings it, then closes it (1011)."""
    host = await gateway_server(ws_ping_interval=0.2, ws_ping_timeout=0.5)
    project = await new_project()
    name, port = host.split(":")
    reader, writer = await asyncio.open_connection(name, int(port))
    writer.write(("GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: {project.auth['Authorization']}\r\n\r\n").encode())
    async with asyncio.timeout(10):
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        opcodes = []
        while chunk := await reader.read(2):  # unmasked server frames, payloads under 126 bytes
            opcodes.append(chunk[0] & 0x0F)
            await reader.readexactly(chunk[1] & 0x7F)
    writer.close()
    assert opcodes[0] == 0x9 and opcodes[-1] == 0x8  # a ping first, a close at the end


async def test_each_message_spends_the_projects_request_budget(gateway_server, new_project):
    """A budget of 3: the handshake spends one, two lookups the rest; the third message is refused
    without a lookup, and the socket stays open."""
    host = await gateway_server(rate_limits={"free": 3})
    project = await new_project()
    async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as socket:
        answers = [await subscribe(socket, "nope") for _ in range(3)]
        assert [answer["code"] for answer in answers] == ["NOT_FOUND", "NOT_FOUND", "RATE_LIMITED"]
        assert answers[2]["retry_after"] >= 1 and "generation_id" not in answers[2]
        assert (await subscribe(socket, "nope"))["code"] == "RATE_LIMITED"


async def test_a_message_over_the_size_limit_closes_with_1009(gateway_server, new_project):
    host = await gateway_server(ws_max_message_bytes=1024)
    project = await new_project()
    async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as socket:
        await socket.send(orjson.dumps({"subscribe": ["x" * 2000]}).decode())
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
    assert socket.close_code == 1009


async def test_an_open_socket_keeps_its_place_beyond_one_lease(gateway_server, new_project):
    """Leases of 0.6 s, renewed every 0.2 s: after three leases the open socket still holds the only place."""
    host = await gateway_server(ws_connections_per_project=1, ws_lease_seconds=0.6)
    project = await new_project()
    async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as first:
        await asyncio.sleep(1.8)
        async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=project.auth) as second:
            assert orjson.loads(await asyncio.wait_for(second.recv(), 10))["code"] == "RATE_LIMITED"
        assert (await subscribe(first, "nope"))["code"] == "NOT_FOUND"  # and it still works


async def test_a_tenant_jwt_never_opens_the_projects_websocket(gateway_server, client, new_project):
    """The websocket follows any generation of the project, whatever its tenant: a tenant JWT (bound
    to its tenants) must not open it, directly or through a ticket."""
    project = await new_project()
    made = await client.post("/api/v1/jwt-keys", headers=project.auth,
                             json={"kid": "hs", "alg": "HS256", "secret": HS_SECRET})
    assert made.status_code == 201, made.text
    token = bearer(signed(claims_for(project_audience(project.project_id)), HS_SECRET, "HS256", "hs"))
    assert (await client.get("/api/v1/project", headers=token)).status_code == 200  # the token itself is good
    assert (await client.post("/api/v1/ws-tickets", headers=token)).status_code == 403
    host = await gateway_server()
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with asyncio.timeout(20):
            async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers=token) as socket:
                await socket.send(orjson.dumps({"subscribe": [new_id()]}).decode())
                await socket.recv()
    assert refused.value.response.status_code == 403
