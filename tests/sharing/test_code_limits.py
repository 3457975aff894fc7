"""Code-request budgets in JetStream KV: per link and per client address, shared by replicas."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.runtime.buckets import Buckets
from services.sharing.limits import CodeRequestLimits, limits_bucket
from tests.fixtures.services import MovableClock


async def test_a_link_and_an_address_each_have_their_own_budget(js):
    clock = MovableClock()
    limits = CodeRequestLimits(Buckets(js).need(limits_bucket()), clock, per_link=3, per_address=2)
    assert [await limits.allow("l1", f"a{n}") for n in range(4)] == [True, True, True, False]
    assert await limits.allow("l2", "a0") is True
    assert await limits.allow("l3", "a0") is False  # a0 spent its two (l1, l2)
    clock.advance(timedelta(hours=1))
    assert await limits.allow("l1", "a9") is True  # a new window


async def test_an_address_refused_spends_nothing_of_the_links_budget(js):
    limits = CodeRequestLimits(Buckets(js).need(limits_bucket()), MovableClock(), per_link=5, per_address=2)
    assert [await limits.allow("shared", "attacker") for _ in range(50)] == [True, True] + [False] * 48
    assert [await limits.allow("shared", f"recipient{n}") for n in range(3)] == [True, True, True]


async def test_replicas_racing_for_the_last_slots_take_no_more_than_the_budget(js):
    replicas = [CodeRequestLimits(Buckets(js).need(limits_bucket()), MovableClock(), per_link=5, per_address=1000)
                for _ in range(4)]
    granted = await asyncio.gather(*(replicas[n % 4].allow("busy", f"a{n}") for n in range(20)))
    assert sum(granted) == 5
