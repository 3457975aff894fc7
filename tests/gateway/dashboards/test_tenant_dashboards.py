"""The embedding guide's tenant-dashboard routes (seeds/001), answered in its shapes; typed ids
resolve `/dashboards/{dashboard_or_tenant_id}`; a tenant-bound caller is limited to its tenants."""

from __future__ import annotations

import dataclasses
import re

import pytest

from contracts import STREAM_NAME
from services.gateway.edge.auth import Principal
from services.gateway.edge.state import state_of
from services.gateway.keys.credential import ApiKeyAuthenticator

SEED_BODY = {"tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales Dashboard",
             "description": "Q4 Sales Analytics"}
SEED_KEYS = {"id", "tenant_id", "workspace_id", "dashboard_id", "created_at"}
SEED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


async def create(client, project, **body):
    return await client.post("/api/v1/dashboards", json={**SEED_BODY, **body}, headers=project.auth)


async def last_seq(js) -> int:
    return (await js.stream_info(STREAM_NAME)).state.last_seq


async def test_the_guides_requests_get_the_guides_answers(client, new_project):
    project = await new_project()
    created = await create(client, project)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"success", "data"} and body["success"] is True and set(body["data"]) == SEED_KEYS
    data = body["data"]
    assert data["id"] == data["dashboard_id"] and data["id"].startswith("dsh_")
    assert (data["tenant_id"], data["workspace_id"]) == ("org-123", "workspace-456")
    assert SEED_TIME.match(data["created_at"])

    by_tenant = await client.get("/api/v1/dashboards/org-123", headers=project.auth)
    assert by_tenant.status_code == 200 and by_tenant.json() == {"success": True, "data": data}

    listed = (await client.get("/api/v1/dashboards?skip=0&limit=100", headers=project.auth)).json()
    assert listed["success"] is True and listed["total"] == 1 and listed["pagination"]["total"] == 1
    [item] = listed["data"]
    assert SEED_KEYS <= set(item) and item["name"] == "Sales Dashboard" and item["version"] == 0

    deleted = await client.delete("/api/v1/dashboards/org-123", headers=project.auth)
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True, "message": "Dashboard deleted successfully", "data": data}
    missing = await client.get("/api/v1/dashboards/org-123", headers=project.auth)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    gone = await client.get(f"/api/v1/dashboards/{data['id']}", headers=project.auth)
    assert gone.status_code == 410 and gone.json()["code"] == "GONE"
    assert (await client.delete(f"/api/v1/dashboards/{data['id']}", headers=project.auth)).status_code == 410
    assert (await client.get("/api/v1/dashboards", headers=project.auth)).json()["total"] == 0


@pytest.mark.parametrize("tenant_id", ["dsh_123", "has space", "", "x" * 129])
async def test_a_tenant_id_that_is_not_one_is_a_422_and_appends_nothing(client, new_project, js, tenant_id):
    project = await new_project()
    before = await last_seq(js)
    refused = await create(client, project, tenant_id=tenant_id)
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR", refused.text
    assert await last_seq(js) == before


async def test_the_shared_path_is_resolved_by_the_id_type(client, new_project):
    project = await new_project()
    older = (await create(client, project, name="Older")).json()["data"]
    newer = (await create(client, project, name="Newer")).json()["data"]
    latest = (await client.get("/api/v1/dashboards/org-123", headers=project.auth)).json()["data"]
    assert latest["id"] == newer["id"] and set(latest) == SEED_KEYS
    by_id = (await client.get(f"/api/v1/dashboards/{older['id']}", headers=project.auth)).json()["data"]
    assert by_id["name"] == "Older" and by_id["spec"] is None and "links" in by_id
    several = await client.delete("/api/v1/dashboards/org-123", headers=project.auth)
    assert several.status_code == 409 and several.json()["code"] == "CONFLICT"
    assert older["id"] in several.json()["error"] and newer["id"] in several.json()["error"]
    assert (await client.get("/api/v1/dashboards/org-123", headers=project.auth)).status_code == 200  # nothing deleted
    assert (await client.delete(f"/api/v1/dashboards/{older['id']}", headers=project.auth)).status_code == 200
    assert (await client.delete("/api/v1/dashboards/org-123", headers=project.auth)).json()["data"]["id"] == newer["id"]
    for unknown in ("dsh_unknown", "org-unknown"):
        answer = await client.get(f"/api/v1/dashboards/{unknown}", headers=project.auth)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"

    document = (await client.get("/openapi.json")).json()
    [parameter] = document["paths"]["/api/v1/dashboards/{dashboard_or_tenant_id}"]["get"]["parameters"]
    assert "start with `dsh_`" in parameter["description"]


async def test_pagination_total_and_filters(client, new_project):
    project = await new_project()
    made = [(await create(client, project, tenant_id=tenant, workspace_id=workspace, name=f"n{n}")).json()["data"]
            for n, (tenant, workspace) in enumerate([("org-a", "w1"), ("org-a", "w2"), ("org-b", "w1"),
                                                     ("org-b", "w1"), ("org-c", "w3")])]
    newest_first = [d["id"] for d in reversed(made)]

    async def ids(query: str) -> tuple[list[str], dict]:
        answer = (await client.get(f"/api/v1/dashboards?{query}", headers=project.auth)).json()
        return [d["id"] for d in answer["data"]], answer

    page, answer = await ids("skip=1&limit=2")
    assert page == newest_first[1:3] and answer["total"] == 5
    assert answer["pagination"] == {"total": 5, "limit": 2, "offset": 1, "has_more": True}
    assert (await ids("offset=4&limit=2"))[0] == newest_first[4:]
    assert (await ids("tenant_id=org-b"))[0] == [made[3]["id"], made[2]["id"]]
    assert (await ids("workspace_id=w1"))[0] == [made[3]["id"], made[2]["id"], made[0]["id"]]
    assert (await ids("tenant_id=org-a&workspace_id=w2"))[0] == [made[1]["id"]]
    tenant_list = (await client.get("/api/v1/tenants/org-a/dashboards", headers=project.auth)).json()
    assert [d["id"] for d in tenant_list["data"]] == [made[1]["id"], made[0]["id"]] and tenant_list["total"] == 2
    conflicting = await client.get("/api/v1/dashboards?skip=1&offset=2", headers=project.auth)
    assert conflicting.status_code == 422


async def test_another_projects_dashboards_are_not_found_and_cannot_be_deleted(client, new_project, js):
    owner, other = await new_project(), await new_project("Other")
    board = (await create(client, owner)).json()["data"]
    before = await last_seq(js)
    for method, path in (("GET", f"/api/v1/dashboards/{board['id']}"), ("DELETE", f"/api/v1/dashboards/{board['id']}"),
                         ("GET", f"/api/v1/dashboards/{board['id']}/versions"),
                         ("GET", f"/api/v1/dashboards/{board['id']}/view"),
                         ("GET", "/api/v1/dashboards/org-123"), ("DELETE", "/api/v1/dashboards/org-123")):
        answer = await client.request(method, path, headers=other.auth)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", (method, path)
    assert await last_seq(js) == before
    assert (await client.get(f"/api/v1/dashboards/{board['id']}", headers=owner.auth)).status_code == 200


@pytest.fixture
async def tenant_bound(gateway_client, monkeypatch):
    """A gateway whose callers may act only for org-a: the Principal a tenant JWT produces."""
    client = await gateway_client()
    authenticator = state_of(client.app).parts.get(ApiKeyAuthenticator)
    authenticate = authenticator.authenticate

    async def bound(token: str) -> Principal | None:
        principal = await authenticate(token)
        return principal and dataclasses.replace(principal, tenant_ids=frozenset({"org-a"}))

    monkeypatch.setattr(authenticator, "authenticate", bound)
    return client


async def test_a_tenant_bound_caller_is_refused_every_other_tenant(client, tenant_bound, new_project, js):
    project = await new_project()
    mine = (await create(client, project, tenant_id="org-a")).json()["data"]
    theirs = (await create(client, project, tenant_id="org-b")).json()["data"]
    untenanted = await client.post("/api/v1/dashboards", json={**SEED_BODY, "tenant_id": "org-c"}, headers=project.auth)
    before = await last_seq(js)
    for method, path, body in (
            ("POST", "/api/v1/dashboards", {**SEED_BODY, "tenant_id": "org-b"}),
            ("GET", "/api/v1/dashboards/org-b", None), ("DELETE", "/api/v1/dashboards/org-b", None),
            ("GET", f"/api/v1/dashboards/{theirs['id']}", None), ("DELETE", f"/api/v1/dashboards/{theirs['id']}", None),
            ("GET", f"/api/v1/dashboards/{theirs['id']}/versions", None),
            ("GET", f"/api/v1/dashboards/{theirs['id']}/view", None),
            ("POST", f"/api/v1/dashboards/{theirs['id']}/share-links", None),
            ("GET", f"/api/v1/dashboards/{theirs['id']}/share-links", None),
            ("GET", "/api/v1/tenants/org-b/dashboards", None), ("GET", "/api/v1/dashboards?tenant_id=org-b", None)):
        answer = await tenant_bound.request(method, path, json=body, headers=project.auth)
        assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN", (method, path, answer.text)
    assert await last_seq(js) == before  # nothing appended
    listed = (await tenant_bound.get("/api/v1/dashboards", headers=project.auth)).json()
    assert [d["id"] for d in listed["data"]] == [mine["id"]] and listed["total"] == 1
    assert untenanted.status_code == 201  # the project's own key may act for every tenant
    assert (await tenant_bound.get("/api/v1/dashboards/org-a", headers=project.auth)).json()["data"]["id"] == mine["id"]
    assert (await tenant_bound.get(f"/api/v1/dashboards/{mine['id']}", headers=project.auth)).status_code == 200
    made = await tenant_bound.post("/api/v1/dashboards", json={**SEED_BODY, "tenant_id": "org-a"}, headers=project.auth)
    assert made.status_code == 201
