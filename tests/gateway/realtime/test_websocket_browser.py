"""The browser ticket flow in a real Chromium (/usr/bin/chromium).

A customer's web app (a second local server, the only holder of the API key) hands its page a
ticket it got from `POST /api/v1/ws-tickets`; the page opens `GET /api/v1/ws?ticket=` on the
gateway, subscribes, and follows a generation to completion. A reused ticket and an expired one
are refused. No URL the browser asks for carries the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle, new_id

CHROMIUM = "/usr/bin/chromium"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body><script>
window.frames_seen = [];
async function getTicket() { return (await (await fetch('/ticket', {method: 'POST'})).json()); }
function tryOpen(url) {  // resolves with how the socket went: "opened" or "refused"
  return new Promise(resolve => {
    const socket = new WebSocket(url);
    socket.onopen = () => { socket.close(); resolve('opened'); };
    socket.onclose = () => resolve('refused');
  });
}
async function follow(generationId) {
  const {ticket, ws} = await getTicket();
  window.ticket_used = ticket;
  const url = ws + '?ticket=' + encodeURIComponent(ticket);
  const socket = new WebSocket(url);
  socket.onopen = () => socket.send(JSON.stringify({subscribe: [generationId]}));
  socket.onmessage = async message => {
    const frame = JSON.parse(message.data);
    window.frames_seen.push(frame);
    if (frame.type === 'state') document.body.dataset.state = 'subscribed';
    if (frame.status === 'completed' || frame.status === 'failed') {
      socket.close();
      document.body.dataset.reused = await tryOpen(url);  // the same ticket, once more
      document.body.dataset.state = 'done';
    }
  };
}
async function expired(waitMs) {
  const {ticket, ws} = await getTicket();
  await new Promise(resolve => setTimeout(resolve, waitMs));
  document.body.dataset.expired = await tryOpen(ws + '?ticket=' + encodeURIComponent(ticket));
}
</script></body></html>"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def customer_app(gateway_host: str, api_key: str):
    """The customer's own server: it alone holds the key and trades it for tickets for its page."""
    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def ticket(_: Request) -> JSONResponse:
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"http://{gateway_host}/api/v1/ws-tickets",
                                       headers={"Authorization": f"Bearer {api_key}"})
        answer.raise_for_status()
        return JSONResponse({"ticket": answer.json()["data"]["ticket"], "ws": f"ws://{gateway_host}/api/v1/ws"})

    app = Starlette(routes=[Route("/", page), Route("/ticket", ticket, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def chromium_page():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = await browser.new_page()
        page.urls = []
        page.on("request", lambda request: page.urls.append(request.url))
        page.on("websocket", lambda ws: page.urls.append(ws.url))
        yield page
        await browser.close()


async def test_a_page_follows_a_generation_with_a_ticket_its_server_got(gateway_server, chromium_page,  # noqa: F811
                                                                        new_project, store, engine):
    page = chromium_page
    host = await gateway_server(ws_ticket_seconds=1.0)
    project = await new_project()
    generation_id = new_id()
    lifecycle = generation_lifecycle(generation_id, project_id=project.project_id)
    await store.append_many(lifecycle[:1])
    assert await wait_for_checkpoint(engine, "generations", await store.last_sequence(), timeout=10)
    async with customer_app(host, project.key.key) as app:
        await page.goto(app)
        await page.evaluate("id => follow(id)", generation_id)
        await page.wait_for_selector("body[data-state='subscribed']", state="attached", timeout=15_000)
        await store.append_many(lifecycle[1:])
        await page.wait_for_selector("body[data-state='done']", state="attached", timeout=15_000)
        frames = await page.evaluate("window.frames_seen")
        assert [(f["type"], f.get("stage"), f.get("percent")) for f in frames] == [
            ("state", "queued", 0), ("progress", "parsing", 0), ("progress", "parsing", 10),
            ("progress", "profiling", 40), ("progress", "choosing", 70), ("progress", "rendering", 90),
            ("completed", None, None)]
        assert frames[-1]["dashboard_id"] == lifecycle[-1].payload.dashboard_id
        assert await page.get_attribute("body", "data-reused") == "refused"
        await page.evaluate("ms => expired(ms)", 2000)  # past the 1 s this gateway gives its tickets
        await page.wait_for_selector("body[data-expired]", state="attached", timeout=15_000)
        assert await page.get_attribute("body", "data-expired") == "refused"
    ticket = await page.evaluate("window.ticket_used")
    sockets = [url for url in page.urls if url.startswith("ws://")]
    assert sockets and all(url.endswith(f"?ticket={ticket}") or "ticket=" in url for url in sockets)
    assert not [url for url in page.urls if project.key.key in url or "dl_live" in url]
