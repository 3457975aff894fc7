"""The gateway behind its real uvicorn on a TCP port: forwarded headers, header size and time,
connection count, and the bus going away under it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from contextlib import asynccontextmanager

import httpx

from services.eventlog.connection import connect
from services.gateway.app import Gateway, create_app
from services.gateway.edge.http_server import HttpServer, http_server_config
from services.runtime.nats_server import free_port

BAD_KEY = {"Authorization": "Bearer dl_live_guessguessguessguessgu000000"}


@asynccontextmanager
async def served_gateway(nats_server, engine, settings, **overrides):
    """One gateway instance served by the uvicorn configuration the service uses."""
    settings = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": free_port(), **overrides})
    nc = await connect(nats_server.url, "gateway-under-test")
    server = HttpServer(http_server_config(create_app(await Gateway.connect(settings, nc, engine)), settings))
    task = asyncio.create_task(server.serve())
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{settings.http_port}", settings.http_port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        await nc.close()


async def test_forwarded_for_is_not_believed_from_an_unconfigured_proxy(nats_server, engine, settings, projections):
    async with served_gateway(nats_server, engine, settings, failed_auth_limit=5) as (url, _):
        async with httpx.AsyncClient(base_url=url) as client:
            statuses = [(await client.get("/api/v1/project", headers={
                **BAD_KEY, "X-Forwarded-For": f"192.0.2.{n}"})).status_code for n in range(7)]
    assert statuses == [401] * 5 + [429] * 2


async def test_forwarded_for_is_believed_from_a_configured_proxy(nats_server, engine, settings, projections):
    async with served_gateway(nats_server, engine, settings, failed_auth_limit=5,
                              trusted_proxies="127.0.0.1") as (url, _):
        async with httpx.AsyncClient(base_url=url) as client:
            statuses = [(await client.get("/api/v1/project", headers={
                **BAD_KEY, "X-Forwarded-For": f"192.0.2.{n}"})).status_code for n in range(7)]
            same = [(await client.get("/api/v1/project", headers={
                **BAD_KEY, "X-Forwarded-For": "192.0.2.200"})).status_code for _ in range(6)]
    assert statuses == [401] * 7  # seven clients behind the proxy, one failure each
    assert same == [401] * 5 + [429]


async def raw_exchange(port: int, request: bytes, wait: float = 5.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(65536), wait)
    finally:
        writer.close()


async def test_oversized_headers_are_refused_with_431(nats_server, engine, settings, projections):
    async with served_gateway(nats_server, engine, settings, max_header_bytes=8192) as (_, port):
        small = await raw_exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000
                                   + b"\r\nConnection: close\r\n\r\n")
        assert small.startswith(b"HTTP/1.1 200")
        many = b"".join(b"X-Pad-%d: %s\r\n" % (n, b"a" * 1000) for n in range(20))
        answer = await raw_exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
        long_url = await raw_exchange(port, b"GET /api/v1/health?" + b"q" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert long_url.startswith(b"HTTP/1.1 431"), long_url[:80]


async def test_a_client_that_dribbles_its_headers_is_cut_off(nats_server, engine, settings, projections):
    async with served_gateway(nats_server, engine, settings, header_timeout_seconds=1.0) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()

        async def dribble() -> None:  # one header line every 0.1 s, never the blank line
            with contextlib.suppress(ConnectionError):
                writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                for n in range(40):
                    writer.write(b"X-Slow-%d: a\r\n" % n)
                    await writer.drain()
                    await asyncio.sleep(0.1)

        dribbling = asyncio.create_task(dribble())
        try:
            answer = await asyncio.wait_for(reader.read(), 5)
        finally:
            dribbling.cancel()
            writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 3
        assert (await raw_exchange(port, b"")).startswith(b"HTTP/1.1 408")  # one that never sends, too


async def test_a_client_that_reads_its_408_only_after_sending_more_still_gets_it(nats_server, engine, settings,
                                                                                 projections):
    """A refused client still sending when the answer comes (and reading it later) is not reset:
    closing on unread input would send a reset, and the reset would drop the unread 408."""
    async with served_gateway(nats_server, engine, settings, header_timeout_seconds=1.0) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            for n in range(16):  # 1.6 s of header lines, past the 1 s deadline, before reading anything
                writer.write(b"X-Slow-%d: a\r\n" % n)
                await writer.drain()
                await asyncio.sleep(0.1)
            answer = await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer


async def test_a_kept_alive_connection_whose_next_request_stalls_is_cut_off_too(nats_server, engine, settings,
                                                                                projections):
    """The deadline holds for every request on a connection, not only its first: the answered
    requests before it (each sooner than the deadline) leave the next one no more time."""
    async with served_gateway(nats_server, engine, settings, header_timeout_seconds=1.0) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(4):  # answered requests, 0.4 s apart: 1.6 s in all, past one deadline
                writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 200"), head
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                await reader.readexactly(length)
                await asyncio.sleep(0.4)
            writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            await writer.drain()
            started = time.monotonic()
            answer = await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 3


async def test_connections_beyond_the_limit_get_503(nats_server, engine, settings, projections):
    async with served_gateway(nats_server, engine, settings, max_connections=3) as (_, port):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            await asyncio.sleep(0.2)
            answer = await raw_exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 503"), answer[:80]
        finally:
            for sock in idle:
                sock.close()
        await asyncio.sleep(0.2)
        answer = await raw_exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
