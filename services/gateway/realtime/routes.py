"""GET /api/v1/ws: a generation's progress and outcome as they happen; POST /api/v1/ws-tickets.

Servers authenticate with the Authorization header; browsers, which cannot set headers on a
websocket, first get a single-use ticket (30 s, kept in a JetStream KV bucket so any gateway
instance can redeem it) and connect with `?ticket=`. Never an API key in a URL.

The client sends {"subscribe": [generation ids]}. For each, the current state is read from the
read model together with the projection's checkpoint, then the generation's events after that
checkpoint are followed on the bus (not this instance's memory), so nothing falls in between.

Limits: per connection (generations followed, message size, pings: uvicorn's config) and per
project over every gateway (open sockets, generations followed: realtime/limits.py). A socket
over the project's limit is accepted, told why in an error frame, and closed with 1008 and
the reason RATE_LIMITED. A gateway that stops closes its sockets with 1012 (service restart); a
client reconnects (to any gateway) and subscribes again to get the current state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, Field, ValidationError

from contracts.public_events import PUBLIC
from services.eventlog.reader import StoredEvent
from services.gateway.edge.bounds import Id
from services.gateway.edge.dependencies import Caller, ScopedRoute, State, principal_of
from services.gateway.edge.envelope import Success, ok
from services.gateway.edge.middleware import WS_POLICY_VIOLATION, WS_TRY_AGAIN_LATER, spend_project_budget
from services.gateway.edge.state import state_of
from services.gateway.generation.queries import generation_row
from services.gateway.realtime.limits import ProjectSockets
from services.gateway.realtime.tickets import TICKET_SECONDS, WebsocketTicket
from services.readmodels.checkpoints import read_checkpoint

log = logging.getLogger(__name__)
router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Websocket"])
FINAL = {"GenerationCompleted", "GenerationFailed"}


class Ticket(BaseModel):
    ticket: str = Field(description="Pass as ?ticket= to GET /api/v1/ws within 30 s; it works once")
    expires_in: int = TICKET_SECONDS


@router.post("/ws-tickets", status_code=201, response_model=Success[Ticket])
async def create_ticket(caller: Caller, state: State):
    seconds = min(state.settings.ws_ticket_seconds, TICKET_SECONDS)
    ticket = await state.parts.get(WebsocketTicket).issue(caller, seconds)
    return ok({"ticket": ticket, "expires_in": int(seconds)}, 201)


def _state_and_checkpoint(engine, project_id: str, generation_id: str):
    """The checkpoint first, then the row: the row can only be as new or newer, so following the log
    from after the checkpoint misses no event the row did not show (read the other way round, on
    SQLite's separate reads, a final event committed between them was skipped and the socket waited)."""
    with engine.connect() as conn:
        checkpoint = read_checkpoint(conn, "generations")
        return generation_row(conn, project_id, generation_id), checkpoint


def current_frame(row) -> dict:
    frame = {"generation_id": row.generation_id, "type": "state", "status": row.status, "stage": row.stage,
             "percent": row.percent}
    if row.dashboard_id:
        frame["dashboard_id"] = row.dashboard_id
    if row.error_code:
        frame.update(code=row.error_code, reason=row.error_reason)
    return frame


def event_frame(stored: StoredEvent) -> dict | None:
    event = stored.event
    if stored.type == "GenerationStarted":
        return {"generation_id": event.aggregate_id, "type": "progress", "status": "processing",
                "stage": "parsing", "percent": 0}
    if stored.type == "GenerationProgressed":
        return {"generation_id": event.aggregate_id, "type": "progress", "status": "processing",
                "stage": event.payload.stage, "percent": event.payload.percent}
    if stored.type in FINAL:
        public_type, data = PUBLIC[stored.type]
        return {"type": public_type.split(".")[1], "status": public_type.split(".")[1], **data(event)}
    return None


class Channel:
    """One websocket: its subscriptions, each following one generation's subject on the bus, and
    its place among the project's sockets (a lease it renews)."""

    def __init__(self, websocket: WebSocket, project_id: str) -> None:
        self.websocket = websocket
        self.project_id = project_id
        self.connection_id = uuid.uuid4().hex
        self.state = state_of(websocket.app)
        self.settings = self.state.settings
        self.sockets = self.state.parts.get(ProjectSockets)  # this gateway's view of the per-project counts
        self.send_lock = asyncio.Lock()
        self.lease_lock = asyncio.Lock()  # lease writes in order, each with the count of its moment
        self.followers: dict[str, asyncio.Task] = {}

    async def send(self, frame: dict) -> None:
        async with self.send_lock:
            await self.websocket.send_text(orjson.dumps(frame, default=str).decode())

    async def subscribe(self, generation_id: str) -> None:
        if generation_id in self.followers:
            return
        cap = self.settings.ws_subscriptions_per_connection
        if len(self.followers) >= cap:
            await self.send({"error": f"at most {cap} subscriptions per connection",
                             "code": "RATE_LIMITED", "generation_id": generation_id})
            return
        row, checkpoint = await asyncio.to_thread(_state_and_checkpoint, self.state.engine,
                                                  self.project_id, generation_id)
        if row is None:
            await self.send({"error": "no such generation", "code": "NOT_FOUND", "generation_id": generation_id})
            return
        if row.status != "processing":
            await self.send(current_frame(row))
            return
        async with self.lease_lock:
            if not await self.sockets.renew(self.project_id, self.connection_id, len(self.followers) + 1):
                cap = self.settings.ws_subscriptions_per_project
                await self.send({"error": f"at most {cap} generations followed at once per project",
                                 "code": "RATE_LIMITED", "generation_id": generation_id})
                return
            await self.send(current_frame(row))
            self.followers[generation_id] = asyncio.create_task(self.follow(generation_id, checkpoint, row.percent))

    async def follow(self, generation_id: str, after_seq: int, shown_percent: int = -1) -> None:
        js = self.state.js
        done = asyncio.Event()

        async def on_message(msg) -> None:
            stored = StoredEvent.from_msg(msg)
            frame = event_frame(stored)
            behind = frame is not None and frame["type"] == "progress" and frame["percent"] < shown_percent
            if frame is not None and not behind:  # a step the state frame already showed is not sent again
                await self.send(frame)
            if stored.type in FINAL:
                done.set()

        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_seq + 1)
        subscription = await js.subscribe(f"events.generation.{generation_id}", cb=on_message,
                                          ordered_consumer=True, config=config)
        try:
            await done.wait()
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        self.followers.pop(generation_id, None)
        await self.renew()

    async def renew(self) -> bool:
        """Renew the lease with the current count; True also when the bus did not answer (the
        next renewal tries again, and the lease outlives two missed ones)."""
        try:
            async with self.lease_lock:
                return await self.sockets.renew(self.project_id, self.connection_id, len(self.followers))
        except Exception:
            log.exception("websocket %s: its lease could not be renewed this time", self.connection_id)
            return True

    async def keep_lease(self) -> None:
        """Renew the place every third of a lease; a lost one (this gateway cut off from the bus
        that long) ends the socket: the client connects again and takes a place if there is one."""
        while True:
            await asyncio.sleep(self.settings.ws_lease_seconds / 3)
            if not await self.renew():
                log.warning("websocket %s lost its place in project %s; closing it", self.connection_id,
                            self.project_id)
                await self.websocket.close(WS_TRY_AGAIN_LATER, "LEASE_LOST")
                return

    async def close(self) -> None:
        for task in self.followers.values():
            task.cancel()
        with contextlib.suppress(Exception):
            await self.sockets.release(self.project_id, self.connection_id)


@router.websocket("/ws")
async def generation_updates(websocket: WebSocket) -> None:
    project_id = principal_of(websocket).project_id  # the auth layer let in a key or a ticket
    await websocket.accept()
    channel = Channel(websocket, project_id)
    if not await channel.sockets.admit(project_id, channel.connection_id):
        limit = channel.settings.ws_connections_per_project
        await channel.send({"error": f"at most {limit} websockets open at once per project", "code": "RATE_LIMITED"})
        await websocket.close(WS_POLICY_VIOLATION, "RATE_LIMITED")
        return
    lease = asyncio.create_task(channel.keep_lease())
    try:
        await _serve(websocket, channel)
    except WebSocketDisconnect:
        pass
    finally:
        lease.cancel()
        await channel.close()


class Subscribe(BaseModel):
    """A client's message: generation ids, each checked before it reaches a query or a subject."""

    subscribe: list[Id] = Field(max_length=100)


async def _serve(websocket: WebSocket, channel: Channel) -> None:
    state = channel.state
    principal = principal_of(websocket)
    while True:
        text = await websocket.receive_text()
        # every message is a lookup of the read model: it spends the project's budget like a request
        if not (decision := await spend_project_budget(state.limiter, state.budgets, principal)).allowed:
            await channel.send({"error": f"rate limit of {decision.limit} requests reached", "code": "RATE_LIMITED",
                                "retry_after": decision.seconds_to_reset()})
            continue
        try:
            ids = Subscribe.model_validate_json(text).subscribe
        except ValidationError:
            await channel.send({"error": 'send {"subscribe": ["<generation_id>", ...]} (ids: 1 to 128 letters, '
                                         'digits, _ and -)', "code": "BAD_REQUEST"})
            continue
        for generation_id in ids:
            await channel.subscribe(generation_id)
