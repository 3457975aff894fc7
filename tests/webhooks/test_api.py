"""The webhook endpoints API: object-level authorization, scopes, validation, the secret shown once
and never in the log in clear, the service away (503), the integrations listing."""

from __future__ import annotations

import pytest

from services.gateway.keys.commands import issue_api_key
from services.readmodels.consistency import wait_for_checkpoint
from tests.webhooks.test_delivery import complete_a_generation, register, settled


async def test_another_projects_endpoint_is_404_everywhere(client, new_project, store, receiver, webhooks_service):
    mine, theirs = await new_project("mine"), await new_project("theirs")
    endpoint = await register(client, theirs, receiver.url())
    await complete_a_generation(store, theirs)
    [delivery] = await settled(client, theirs, endpoint["id"])
    base = f"/api/v1/webhooks/{endpoint['id']}"
    for method, path, body in (("GET", base, None), ("PATCH", base, {"enabled": False}), ("DELETE", base, None),
                               ("POST", f"{base}/rotate-secret", None), ("POST", f"{base}/test", None),
                               ("GET", f"{base}/deliveries", None),
                               ("POST", f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver", None)):
        answer = await client.request(method, path, headers=mine.auth, json=body)
        assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND"), (method, path)
    assert (await client.get("/api/v1/webhooks", headers=mine.auth)).json()["data"] == []
    assert (await client.get(base, headers=theirs.auth)).json()["data"]["status"] == "enabled"


async def test_a_read_only_key_cannot_manage_endpoints(client, new_project, store, engine, receiver, webhooks_service):
    project = await new_project()
    reader = await issue_api_key(store, project.project_id, "reader", ["read"])
    assert await wait_for_checkpoint(engine, "projects", reader.seq, timeout=10)
    answer = await client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {reader.key}"},
                               json={"url": receiver.url(), "events": ["generation.completed"]})
    assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize("body", [{"url": "ftp://example.com/x", "events": ["generation.completed"]},
                                  {"url": "https://example.com/x", "events": ["generation.exploded"]},
                                  {"url": "https://example.com/x", "events": []},
                                  {"url": "https://user:pw@example.com/x", "events": ["generation.completed"]},
                                  {"url": "https://1.1.1.1/hook\r\nX-Injected: 1", "events": ["generation.completed"]},
                                  {"url": "https://c[", "events": ["generation.completed"]}])
async def test_bad_endpoints_are_422_and_leave_nothing(client, new_project, store, webhooks_service, body):
    project = await new_project()
    before = await store.last_sequence()
    answer = await client.post("/api/v1/webhooks", headers=project.auth, json=body)
    assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_ERROR")
    assert await store.last_sequence() == before


async def test_the_secret_is_shown_once_and_never_stored_in_clear(client, new_project, store, receiver, webhooks_service):
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    rotated = (await client.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=project.auth)).json()["data"]
    shown = await client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=project.auth)
    assert "secret" not in shown.json()["data"]
    log = b"".join(e.data for batch in [b async for b in store.reader.batches()] for e in batch)
    for secret in (endpoint["secret"], rotated["secret"]):
        assert secret.encode() not in log and secret.removeprefix("whsec_").encode() not in log
    assert b"sealed_secret" in log


async def test_change_disable_and_delete_show_in_the_listings(client, new_project, store, engine, receiver,
                                                              webhooks_service):
    project = await new_project()
    endpoint = await register(client, project, receiver.url())
    path = f"/api/v1/webhooks/{endpoint['id']}"
    changed = await client.patch(path, headers=project.auth, json={"events": ["generation.failed"], "enabled": False})
    assert changed.status_code == 200
    assert changed.json()["data"]["events"] == ["generation.failed"] and changed.json()["data"]["status"] == "disabled"
    assert (await client.patch(path, headers=project.auth, json={})).status_code == 422
    assert await wait_for_checkpoint(engine, "integration_endpoints", await store.last_sequence(), timeout=10)
    [listed] = [i for i in (await client.get("/api/v1/integrations", headers=project.auth)).json()["data"]
                if i["type"] == "webhook_endpoint"]
    assert listed["status"] == "disabled" and listed["event_types"] == ["generation.failed"]
    assert (await client.delete(path, headers=project.auth)).status_code == 200
    assert (await client.get(path, headers=project.auth)).status_code == 404
    assert await wait_for_checkpoint(engine, "integration_endpoints", await store.last_sequence(), timeout=10)
    items = (await client.get("/api/v1/integrations", headers=project.auth)).json()["data"]
    assert not [i for i in items if i["type"] == "webhook_endpoint"]
    assert (await client.delete(path, headers=project.auth)).status_code == 404


async def test_without_the_webhooks_service_changes_answer_503(client, new_project):
    project = await new_project()
    answer = await client.post("/api/v1/webhooks", headers=project.auth,
                               json={"url": "https://example.com/hook", "events": ["generation.completed"]})
    assert (answer.status_code, answer.json()["code"]) == (503, "SERVICE_UNAVAILABLE")


@pytest.mark.parametrize("path", ["/api/v1/webhook-deliveries/%3E/redeliver", "/api/v1/webhooks/%3E/test",
                                  "/api/v1/webhooks/*/rotate-secret", "/api/v1/webhooks/a%20b/test",
                                  "/api/v1/webhooks/a.b/rotate-secret"])
async def test_ids_that_are_not_ids_never_reach_a_subject(client, new_project, store, webhooks_service, path):
    project = await new_project()
    before = await store.last_sequence()
    answer = await client.post(path, headers=project.auth)
    assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_ERROR")
    for method in ("PATCH", "DELETE", "GET"):
        other = await client.request(method, "/api/v1/webhooks/%3E", headers=project.auth, json={"description": "x"}
                                     if method == "PATCH" else None)
        assert other.status_code == 422, (method, other.text)
    assert await store.last_sequence() == before
