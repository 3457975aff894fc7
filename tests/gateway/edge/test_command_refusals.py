"""Every command type the gateway sends: a `Refused` raised by the service that answers it reaches
the HTTP client as the envelope's status and code, through the real request-reply path
(services/runtime/rpc.py on a real nats-server, CommandClient, edge/envelope.py)."""

from __future__ import annotations

import asyncio
import types
import typing
from itertools import cycle
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from contracts import sharing_commands, webhook_commands
from contracts.rpc import REFUSAL_CODES, Command, Refused
from services.gateway.edge.envelope import install_error_handlers
from services.runtime.rpc import CommandClient, serve_commands

COMMANDS = [*sharing_commands.COMMANDS, *webhook_commands.COMMANDS]
STATUS = {"FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409, "GONE": 410, "UNAUTHORIZED": 401,
          "VALIDATION_ERROR": 422, "RATE_LIMITED": 429, "SERVER_ERROR": 500, "SERVICE_UNAVAILABLE": 503}
# each command gets a different code, so a mapping that ignored the code would fail somewhere
CODE_OF = dict(zip(COMMANDS, cycle(REFUSAL_CODES), strict=False))


def example(model: type[BaseModel]) -> Any:
    """An instance with every required field filled: the command's own fields, as the gateway sends them."""
    values = {name: _value(field.annotation) for name, field in model.model_fields.items() if field.is_required()}
    return model(**values)


def _value(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return []
    if origin in (typing.Union, types.UnionType):
        return _value(next(arg for arg in typing.get_args(annotation) if arg is not type(None)))
    return {str: "x", int: 1, bool: False}[annotation]


def gateway_app(client: CommandClient, command: Command) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/ask")
    async def ask() -> dict:
        return {"data": await client.ask(command)}

    return app


def test_every_command_the_gateway_sends_is_listed_with_a_refusal_code():
    assert len(COMMANDS) == 21 and set(CODE_OF.values()) == set(REFUSAL_CODES) == set(STATUS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.__name__)
async def test_a_refusal_reaches_the_client_as_its_status_and_code(command, nats_server, nc):
    code = CODE_OF[command]

    async def refuse(asked: Command) -> Any:
        assert isinstance(asked, command)
        raise Refused(code, f"{command.__name__} refused")

    stop = asyncio.Event()
    serving = asyncio.create_task(serve_commands(nats_server.url, "refusal-tests", {command: refuse}, stop))
    try:
        app = gateway_app(CommandClient(nc, timeout=5), example(command))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            answer = await _answered(http)
        assert (answer.status_code, answer.json()) == (
            STATUS[code], {"success": False, "error": f"{command.__name__} refused", "code": code})
    finally:
        stop.set()
        await serving


async def _answered(http: httpx.AsyncClient) -> httpx.Response:
    """The answer once the subscriber is up (before, nobody answers: 503 from the client itself)."""
    async with asyncio.timeout(20):
        while True:
            answer = await http.post("/ask")
            if answer.json().get("error", "").endswith("refused"):
                return answer
            await asyncio.sleep(0.05)


async def test_no_service_answering_is_503_service_unavailable(nc):
    app = gateway_app(CommandClient(nc, timeout=1), example(sharing_commands.GetLink))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        answer = await http.post("/ask")
    assert (answer.status_code, answer.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert "sharing service did not answer" in answer.json()["error"]


async def test_an_invalid_request_and_a_failing_handler_are_refused_not_left_unanswered(nats_server, nc):
    async def fail(asked: Command) -> Any:
        raise RuntimeError("a bug")

    stop = asyncio.Event()
    handlers = {webhook_commands.GetEndpoint: fail}
    serving = asyncio.create_task(serve_commands(nats_server.url, "refusal-tests", handlers, stop))
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    invalid = await nc.request(webhook_commands.GetEndpoint.subject, b"{}", timeout=1)
                    break
                except Exception:
                    await asyncio.sleep(0.05)
        assert b'"code":"VALIDATION_ERROR"' in invalid.data
        with pytest.raises(Refused) as refused:
            await CommandClient(nc, timeout=5).ask(example(webhook_commands.GetEndpoint))
        assert (refused.value.code, refused.value.message) == ("SERVER_ERROR", "internal server error")
    finally:
        stop.set()
        await serving
