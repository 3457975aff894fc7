"""The commands the webhooks service answers (contracts/webhook_commands.py): the decisions of
commands.py and the reads of queries.py; services/runtime/rpc.py serves them in the `webhooks`
queue group."""

from __future__ import annotations

from faststream.nats import NatsBroker
from sqlalchemy import Engine

from contracts import webhook_commands as command
from contracts.rpc import Refused
from services.runtime.rpc import Handlers, subscribe_commands
from services.webhooks import queries
from services.webhooks.commands import WebhookCommands


class EndpointReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def endpoints(self, asked: command.ListEndpoints) -> list[command.WebhookEndpoint]:
        return await queries.read(self.engine, queries.list_endpoints, asked.project_id)

    async def endpoint(self, asked: command.GetEndpoint) -> command.WebhookEndpoint:
        found = await queries.read(self.engine, queries.endpoint_out, asked.project_id, asked.endpoint_id)
        if found is None:
            raise Refused("NOT_FOUND", "no such webhook endpoint")
        return found

    async def deliveries(self, asked: command.ListDeliveries) -> command.DeliveryPage:
        await self.endpoint(command.GetEndpoint(project_id=asked.project_id, endpoint_id=asked.endpoint_id))
        return await queries.read(self.engine, queries.deliveries_of, asked.endpoint_id, asked.limit, asked.offset)


def served(commands: WebhookCommands, reads: EndpointReads) -> Handlers:
    return {
        command.RegisterEndpoint: commands.register, command.UpdateEndpoint: commands.update,
        command.DeleteEndpoint: commands.delete, command.RotateSecret: commands.rotate_secret,
        command.SendTest: commands.send_test, command.Redeliver: commands.redeliver,
        command.ListEndpoints: reads.endpoints, command.GetEndpoint: reads.endpoint,
        command.ListDeliveries: reads.deliveries,
    }


def answer_commands(broker: NatsBroker, commands: WebhookCommands) -> None:
    """Subscribe every webhooks command on `broker` (started by the caller)."""
    subscribe_commands(broker, served(commands, EndpointReads(commands.engine)))
