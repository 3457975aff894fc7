"""The gateway's uvicorn, with limits on what a client may make it hold.

uvicorn with httptools accepts headers of any size and waits for them forever; behind no
proxy, one client could hold memory and connections without end. Here the request line and
headers are bounded in size (431) and in time (408), connections in number (uvicorn answers 503
beyond `limit_concurrency`), and forwarded headers are believed only from configured proxies
(uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, and the failed-auth lockout
keys on the client address). A front proxy in production is still the place for TLS and for
finer limits (README, Operating it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.runtime.settings import Settings


@dataclass(frozen=True)
class HeaderLimits:
    max_bytes: int  # request line and headers together
    timeout: float  # seconds from a request's (or a connection's) first byte to its last header


LINGER_SECONDS = 2.0  # after a refusal, how long the client's further bytes are read and dropped


class HeadersTooLarge(Exception):
    pass


class BoundedHttpProtocol(HttpToolsProtocol):
    """A connection whose request line and headers must arrive within `limits`.

    The deadline is a number set as a request begins; one timer per connection checks it and
    re-arms itself, rather than a timer made and cancelled for every request (a cancelled timer
    stays in the loop's heap until it falls due: on a busy keep-alive connection, thousands).
    """

    def __init__(self, *args, limits: HeaderLimits, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._header_bytes = 0
        self._headers_due: float | None = None  # loop time by which the headers must be in
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._headers_due = self.loop.time() + self.limits.timeout
        self._arm(self._headers_due)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._headers_due is None:
            self._headers_due = self.loop.time() + self.limits.timeout

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_due = None
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if self._header_bytes > self.limits.max_bytes:  # raised from _count, reported by the parser
            return self._refuse(431, "Request Header Fields Too Large")
        super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_bytes:
            raise HeadersTooLarge

    def _arm(self, when: float) -> None:
        self._deadline_timer = self.loop.call_at(when, self._check_deadline)

    def _check_deadline(self) -> None:
        """Refuse a request whose headers are late; else look again when the next could be.
        The timer was armed no later than any deadline set since, so none is checked late."""
        now, due = self.loop.time(), self._headers_due
        if due is not None and now >= due:
            self._headers_due = due = None
            if self.cycle is None or self.cycle.response_complete:  # not while an answer is under way
                self._deadline_timer = None
                return self._refuse(408, "Request Timeout")
        self._arm(due if due is not None else now + self.limits.timeout)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering after a refusal: what the client still sends is read and dropped
        super().data_received(data)

    def _refuse(self, status: int, reason: str) -> None:
        """Answer and close, lingering: closing a socket with unread input sends a reset, and a
        reset makes the client's system drop the answer it has not read yet (a client still
        sending its headers would see 'connection reset' instead of the 408). So the write side
        is shut first, and what still arrives is read and dropped for LINGER_SECONDS."""
        if self.transport.is_closing() or self._refused:
            return
        self._refused = True
        self.transport.write(f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             f"content-length: {len(reason)}\r\nconnection: close\r\n\r\n{reason}".encode())
        if not self.transport.can_write_eof():
            return self.transport.close()
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def http_server_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    limits = HeaderLimits(settings.max_header_bytes, settings.header_timeout_seconds)
    proxies = settings.trusted_proxies.strip()
    return uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_level="warning", lifespan="off",
        http=functools.partial(BoundedHttpProtocol, limits=limits),  # type: ignore[arg-type]  # uvicorn calls it as the class
        proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
        timeout_keep_alive=settings.keep_alive_seconds, limit_concurrency=settings.max_connections,
        ws_max_size=settings.ws_max_message_bytes, ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout, timeout_graceful_shutdown=10)


class HttpServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # the service process owns SIGINT/SIGTERM, not uvicorn
        yield
