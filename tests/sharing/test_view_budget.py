"""Every opening of a /s/ link appends an event to the log: one address may open one link only so
often (a 429 page with Retry-After, and nothing appended), and the view log keeps a bounded,
printable user agent whatever the browser sent (issue 20)."""

from __future__ import annotations

import asyncio
import time

from tests.generation.test_viewer import dashboard_of
from tests.sharing.test_share_links import path_of, share, views_of


async def public_link(client, project) -> dict:
    created = await share(client, project, await dashboard_of(client, project))
    assert created.status_code == 201, created.text
    return created.json()["data"]


async def test_one_address_opens_one_link_only_so_often(gateway_client, new_project, worker, sharing, store):
    here = await gateway_client("203.0.113.7", share_views_per_minute=2)
    elsewhere = await gateway_client("198.51.100.9", share_views_per_minute=2)
    project = await new_project()
    link, other_link = await public_link(here, project), await public_link(here, project)
    page = path_of(link["url"])

    await within_one_window(60, room=5)
    assert [(await here.get(page)).status_code for _ in range(2)] == [200, 200]
    before = await store.last_sequence()
    refused = await here.get(page)
    assert refused.status_code == 429 and "Too many" in refused.text, refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert await store.last_sequence() == before  # a refused view writes nothing

    assert (await elsewhere.get(page)).status_code == 200  # another address has a budget of its own
    assert (await here.get(path_of(other_link["url"]))).status_code == 200  # and so has another link
    assert len(await views_of(here, project, link, 3)) == 3


async def within_one_window(window: int, room: float) -> None:
    """The budget counts in fixed windows (edge/ratelimit.py): start early enough in one that the
    views asked for next all fall in it, or a new window's budget admits the one to refuse."""
    left = window - time.time() % window
    if left < room:
        await asyncio.sleep(left + 0.05)


async def test_the_view_log_keeps_a_bounded_printable_user_agent(client, new_project, worker, sharing):
    project = await new_project()
    link = await public_link(client, project)
    sent = "Mozilla/5.0\x00 (X11)\x1b[31m\r\n  red\x7f" + "x" * 1000
    assert (await client.get(path_of(link["url"]), headers={"User-Agent": sent})).status_code == 200

    [view] = await views_of(client, project, link, 1)
    kept = view["user_agent"]
    assert kept.startswith("Mozilla/5.0 (X11)[31m red") and len(kept) == 256
    assert all(character.isprintable() for character in kept)
