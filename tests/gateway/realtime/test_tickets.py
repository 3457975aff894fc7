"""A websocket ticket works once, however many gateways try it at the same moment."""

from __future__ import annotations

import asyncio

from services.gateway.edge.auth import Principal, Scope
from services.gateway.realtime.tickets import WebsocketTicket, tickets_config
from services.runtime.buckets import Bucket


async def test_a_ticket_redeemed_at_once_by_many_gateways_admits_exactly_one(js):
    gateways = [WebsocketTicket(Bucket(js, tickets_config())) for _ in range(4)]  # each its own handle
    principal = Principal(project_id="p1", plan="free", kind="api_key", subject="k1",
                          scopes=frozenset({Scope.READ}), tenant_ids=None, expires_at=None)
    for _ in range(5):
        ticket = await gateways[0].issue(principal)
        redeemed = await asyncio.gather(*(gateway.redeem(ticket) for gateway in gateways for _ in range(3)))
        assert [p for p in redeemed if p is not None] == [principal]
