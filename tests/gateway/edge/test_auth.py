"""The auth layer as an attacker meets it: keys that must stop, scopes, websockets, tenants."""

from __future__ import annotations

import asyncio
import time

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.routing import APIRoute
from sqlalchemy import update

from services.gateway.app import ROUTERS, include_scoped
from services.gateway.edge.auth import Principal, Scope
from services.gateway.edge.dependencies import RequiredScope, ScopedRoute, principal_of
from services.gateway.edge.middleware import OPEN_PATHS
from services.gateway.keys.models import api_keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def new_key(client, project, scopes: list[str]) -> str:
    created = await client.post("/api/v1/api-keys", json={"name": "-".join(scopes), "scopes": scopes},
                                headers=project.auth)
    assert created.status_code == 201, created.text
    return created.json()["data"]


async def statuses_until(client, key: str, wanted: int, seconds: float = 3.0) -> list[int]:
    """GET /project with `key` until it answers `wanted` (bounded), then three more times."""
    seen: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (not seen or seen[-1] != wanted):
        seen.append((await client.get("/api/v1/project", headers=bearer(key))).status_code)
        await asyncio.sleep(0.05)
    return seen + [(await client.get("/api/v1/project", headers=bearer(key))).status_code for _ in range(3)]


def the_read_model_lags(engine, key_id: str) -> None:
    """Put the key's row back as it was before the rotation or revocation was applied: what a
    gateway sees while the projection has not yet caught up with the event."""
    with engine.begin() as conn:
        conn.execute(update(api_keys).where(api_keys.c.key_id == key_id)
                     .values(expires_at=None, replaced_by=None, revoked_at=None))


@pytest.mark.parametrize("change", ["rotate", "revoke"])
async def test_a_rotated_or_revoked_key_stops_on_every_gateway_whatever_the_read_model_says(
        gateway_client, new_project, engine, change):
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    victim = await new_key(first, project, ["read"])
    assert (await second.get("/api/v1/project", headers=bearer(victim["key"]))).status_code == 200  # cached there
    if change == "rotate":
        answer = await first.post(f"/api/v1/api-keys/{victim['id']}/rotate", json={"grace_period_hours": 0},
                                  headers=project.auth)
    else:
        answer = await first.delete(f"/api/v1/api-keys/{victim['id']}", headers=project.auth)
    assert answer.status_code in (200, 201), answer.text
    the_read_model_lags(engine, victim["id"])
    for gateway in (second, first):
        seen = await statuses_until(gateway, victim["key"], 401)
        assert seen[-4:] == [401] * 4, seen


async def test_rotation_with_grace_keeps_the_old_key_on_another_gateway(gateway_client, new_project):
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    old = await new_key(first, project, ["read"])
    assert (await second.get("/api/v1/project", headers=bearer(old["key"]))).status_code == 200
    rotated = await first.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_period_hours": 1},
                               headers=project.auth)
    assert rotated.status_code == 201
    await asyncio.sleep(0.3)
    assert (await second.get("/api/v1/project", headers=bearer(old["key"]))).status_code == 200


async def test_each_key_does_only_what_its_scopes_allow(client, new_project):
    project = await new_project()
    reader = (await new_key(client, project, ["read"]))["key"]
    writer = (await new_key(client, project, ["write"]))["key"]
    upload = {"files": {"file": ("a.csv", b"a,b\n1,2\n")}}
    refused = await client.post("/api/v1/dashboards/generate", headers=bearer(reader), **upload)
    assert refused.status_code == 403 and refused.json() == {
        "success": False, "error": "this key lacks the write scope", "code": "FORBIDDEN"}
    for path in ("/api/v1/dashboards", "/api/v1/project", "/api/v1/metrics", "/api/v1/integrations",
                 "/api/v1/dashboards/nope/view", "/api/v1/generations/nope"):
        answer = await client.get(path, headers=bearer(writer))
        assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN", path
        assert (await client.get(path, headers=bearer(reader))).status_code in (200, 404), path
    for key in (reader, writer):
        assert (await client.get("/api/v1/api-keys", headers=bearer(key))).status_code == 403


async def test_every_operation_declares_its_scope_and_a_key_without_it_is_refused(client, new_project):
    """Walks the whole spec: a route added without a scope, or with the wrong one, fails here."""
    spec = (await client.get("/openapi.json")).json()
    project = await new_project()
    keys = {scope: (await new_key(client, project, [s.value for s in Scope if s != scope]))["key"]
            for scope in Scope}
    operations = [(path, method, operation) for path, methods in spec["paths"].items()
                  if path.startswith("/api/v1/") and path not in OPEN_PATHS
                  for method, operation in methods.items()]
    assert len(operations) >= 11
    for path, method, operation in operations:
        scope = Scope(operation["x-required-scope"])
        assert f"`{scope.value}` scope" in operation["description"], path
        url = path.replace("{", "").replace("}", "")  # any id: the scope is checked before the lookup
        refused = await client.request(method.upper(), url, headers=bearer(keys[scope]))
        assert refused.status_code == 403 and refused.json()["error"] == f"this key lacks the {scope} scope", (
            method, path, refused.text)
    assert {scope for _, scope, _ in ROUTERS} == {None, *Scope}


def test_every_authenticated_http_route_checks_its_scope_itself():
    """Each /api/v1 HTTP route is a ScopedRoute holding its router's scope (the check before FastAPI
    solves anything); only the websocket keeps the scope as a dependency."""
    app = FastAPI()
    for router, scope, responses in ROUTERS:
        include_scoped(app, router, scope, responses)
        for route in router.routes:
            if not route.path.startswith("/api/v1/") or route.path in OPEN_PATHS or not isinstance(route, APIRoute):
                continue
            assert isinstance(route, ScopedRoute), route.path
            assert route.required == (RequiredScope(scope) if scope else None), (route.path, route.required, scope)


async def test_websockets_pass_through_the_same_auth_layer(client, new_project):
    app = client.app

    async def whoami(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(principal_of(websocket).project_id)
        await websocket.close()

    app.add_api_websocket_route("/api/v1/test-socket", whoami)
    project = await new_project()
    refused = await websocket_session(app, "/api/v1/test-socket", {})
    assert refused[0] == {"type": "websocket.close", "code": 1008, "reason": "UNAUTHORIZED"}
    accepted = await websocket_session(app, "/api/v1/test-socket", project.auth)
    assert accepted[0]["type"] == "websocket.accept"
    assert accepted[1] == {"type": "websocket.send", "text": project.project_id}


async def websocket_session(app, path: str, headers: dict[str, str]) -> list[dict]:
    """Drive the ASGI app through a websocket handshake; answer what it sent."""
    inbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            await inbox.put({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    scope = {"type": "websocket", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("203.0.113.7", 40000), "server": ("gateway.test", 80), "scheme": "ws",
             "subprotocols": [], "asgi": {"version": "3.0"}, "root_path": ""}
    await asyncio.wait_for(app(scope, inbox.get, send), 10)
    return sent


def test_a_principal_says_which_tenants_it_may_act_for():
    api_key = Principal("p", "free", "api_key", "k", frozenset({"read"}), None, None)
    assert api_key.may_use_tenant("any-tenant") and api_key.may_use_tenant(None)
    bound = Principal("p", "free", "api_key", "k", frozenset({"read"}), frozenset({"t1"}), None)
    assert bound.may_use_tenant("t1") and not bound.may_use_tenant("t2") and not bound.may_use_tenant(None)


async def test_no_redirect_is_built_from_the_host_header(client, new_project):
    project = await new_project()
    for path in ("/api/v1/dashboards/", "/api/v1/project/", "/docs/"):
        answer = await client.get(path, headers={**project.auth, "Host": "evil.example"})
        assert not 300 <= answer.status_code < 400 and "location" not in answer.headers, path
        # the embedding guide spells the dashboards route with its slash: served as is; others are no route
        assert answer.status_code == (200 if path == "/api/v1/dashboards/" else 404), path


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("put", "/api/v1/api-keys", {"GET", "POST"}),
    # a path of its own is never also the dashboard id it would fill in /dashboards/{id} (GET)
    ("put", "/api/v1/dashboards/generate", {"POST"}),
    ("put", "/api/v1/dashboards/iframe-token", {"POST"}),
    ("put", "/api/v1/webhooks/abc", {"GET", "PATCH", "DELETE"}),
    ("get", "/api/v1/webhooks/abc/test", {"POST"}),
])
async def test_405_names_only_the_methods_of_the_path(client, new_project, method, path, allowed):
    project = await new_project()
    answer = await client.request(method, path, headers=project.auth)
    assert answer.status_code == 405 and answer.json()["code"] == "METHOD_NOT_ALLOWED"
    assert set(answer.headers["allow"].split(", ")) == allowed


async def test_the_docs_load_nothing_from_elsewhere(client):
    page = (await client.get("/docs")).text
    assert "http://" not in page and "https://" not in page
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
                        ("favicon-32x32.png", "image/png")):
        assert f"/docs/assets/{asset}" in page
        answer = await client.get(f"/docs/assets/{asset}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"] and len(answer.content) > 500
    assert (await client.get("/docs/assets/..%2Fcore.py")).status_code == 404
