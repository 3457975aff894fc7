"""One structured access-log line and the request metrics for every HTTP request, as plain ASGI
outside everything else (a refusal by the auth layer is counted too).

The line holds the route's template, never the path (a share or embed token, ids), nor the query
(a websocket ticket), the client's address, a key or a header: nothing personal, nothing secret.
"""

from __future__ import annotations

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.telemetry import HTTP_REQUESTS, HTTP_SECONDS

log = logging.getLogger("dashloom.access")
UNROUTED = "unrouted"  # answered before routing (the auth layer), or no route matched


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or UNROUTED
        method = scope.get("method", "")
        counted, timed = self._metrics(route, method, status)
        counted.inc()
        timed.observe(seconds)
        log.info("%s", orjson.dumps({"method": method, "route": route, "status": status,
                                      "ms": round(seconds * 1000, 1)}).decode())

    def _metrics(self, route: str, method: str, status: int):
        """The request's counter and histogram, looked up once per (route, method, status): labels()
        takes a lock and builds its key at every call. Routes are templates, so the set stays small."""
        key = (route, method, status)
        metrics = self._children.get(key)
        if metrics is None:
            metrics = self._children[key] = (HTTP_REQUESTS.labels(route, method, str(status)),
                                             HTTP_SECONDS.labels(route, method))
        return metrics
