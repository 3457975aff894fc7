"""An embed in a real headless Chromium, framed by host pages on two origins (two local HTTP
servers on their own ports): the project's embed origin frames /embed/{token} and every chart
draws, asking nothing but the viewer's assets; the other origin is refused by the browser itself
(frame-ancestors)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from services.gateway.edge.state import state_of
from services.gateway.viewer.bundle import VegaBundle
from tests.embedding.test_iframe_tokens import embedded, token_for
from tests.generation.test_viewer_browser import ARTIFACTS
from tests.sharing.test_share_browser import assert_every_chart_drawn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def host_site(embed_url: str) -> AsyncIterator[str]:
    """A customer's page on its own origin, framing the embed."""
    async def page(request):
        return HTMLResponse(f'<!doctype html><title>Host</title><h1>Our product</h1>'
                            f'<iframe src="{embed_url}" width="1200" height="1600"></iframe>')

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/", page)]), host="127.0.0.1", port=port,
                                          log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_the_allowed_origin_frames_the_embed_and_another_origin_is_refused(
        served, browser, client, new_project, worker, sharing, database_url):
    await state_of(client.app).parts.get(VegaBundle).body()  # built once per process: not inside the page's load timeout
    owner, dashboard_id = await embedded(client, new_project, worker)
    embed_url = f"{served}/embed/{(await token_for(client, owner, dashboard_id))['token']}"
    async with host_site(embed_url) as allowed, host_site(embed_url) as other:
        origins = await client.put("/api/v1/project/embed-origins", headers=owner.auth, json={"origins": [allowed]})
        assert origins.status_code == 200

        context = await browser.new_context(viewport={"width": 1280, "height": 1800})
        page = await context.new_page()
        requested: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(allowed)
        frame = page.frame_locator("iframe")
        await frame.locator("body[data-charts='drawn'], body[data-charts='failed']").wait_for(
            state="attached", timeout=30_000)
        embed = next(f for f in page.frames if f.url == embed_url)
        await assert_every_chart_drawn(embed)
        assert problems == []
        from_gateway = [url for url in requested if url.startswith(served)]
        assert from_gateway[0] == embed_url
        assert all(url.startswith(f"{served}/assets/") for url in from_gateway[1:])  # nothing but public assets
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=ARTIFACTS / f"embed-allowed-{database_url.split(':')[0]}.png", full_page=True)
        await context.close()

        context = await browser.new_context()
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        async with page.expect_response(embed_url) as answered:
            await page.goto(other)
        assert (await answered.value).status == 200  # served, then refused by the browser
        async with asyncio.timeout(15):  # Chromium reports the refusal on the console
            while not any("frame-ancestors" in line for line in console):
                await asyncio.sleep(0.05)
        (refused,) = page.frames[1:]
        text = await refused.content()
        assert "Tenant sales" not in text and await refused.locator(".chart").count() == 0, (refused.url, text[:500])
        await context.close()
