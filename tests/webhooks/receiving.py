"""A real HTTP receiver on a free local port (uvicorn + Starlette), recording every request.

Each path answers as the test tells it: a status, headers, or a hold until an event is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Received] = []
        self.replies: dict[str, list[Reply]] = defaultdict(list)  # path -> replies in turn; the last repeats
        self.arrived = asyncio.Condition()
        self._server: uvicorn.Server  # both set on entering
        self._task: asyncio.Task

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, count: int, path: str = "/hook", timeout: float = 15.0) -> list[Received]:
        async with asyncio.timeout(timeout):
            async with self.arrived:
                await self.arrived.wait_for(lambda: len(self.at(path)) >= count)
        return self.at(path)

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        self.requests.append(Received(path, dict(request.headers), await request.body(), time.monotonic()))
        async with self.arrived:
            self.arrived.notify_all()
        queue = self.replies.get(path) or [Reply()]
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.hold is not None:
            await reply.hold.wait()
        return Response(status_code=reply.status, headers=reply.headers)

    async def __aenter__(self) -> Receiver:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off"))
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *_) -> None:
        self._server.should_exit = True
        self._server.force_exit = True
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._task, 5)
