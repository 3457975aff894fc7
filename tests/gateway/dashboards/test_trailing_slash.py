"""POST and GET /api/v1/dashboards/ (the embedding guide's own routes, with their slash) are
POST and GET /api/v1/dashboards; every other path with a trailing slash is a clean 404. Never a redirect: its Location would come
from the Host header."""

from __future__ import annotations

import pytest

from tests.gateway.dashboards.test_tenant_dashboards import SEED_BODY, SEED_KEYS

EVIL_HOST = {"host": "evil.example"}


async def test_the_guides_route_with_its_slash_creates_the_dashboard(client, new_project):
    project = await new_project()
    created = await client.post("/api/v1/dashboards/", json=SEED_BODY, headers={**project.auth, **EVIL_HOST})
    assert created.status_code == 201, created.text
    assert "location" not in created.headers
    data = created.json()["data"]
    assert set(data) == SEED_KEYS and data["tenant_id"] == "org-123"
    listed = (await client.get("/api/v1/dashboards", headers=project.auth)).json()
    assert [item["dashboard_id"] for item in listed["data"]] == [data["dashboard_id"]]
    slashed = await client.get("/api/v1/dashboards/?skip=0&limit=100", headers={**project.auth, **EVIL_HOST})
    assert slashed.status_code == 200 and "location" not in slashed.headers and slashed.json() == listed

    refused = await client.post("/api/v1/dashboards/", json={**SEED_BODY, "tenant_id": "dsh_1"}, headers=project.auth)
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR"


async def test_the_slashed_route_needs_the_write_scope_like_the_plain_one(client, new_project):
    project = await new_project()
    made = await client.post("/api/v1/api-keys", json={"name": "reader", "scopes": ["read"]}, headers=project.auth)
    assert made.status_code == 201, made.text
    reader = {"Authorization": f"Bearer {made.json()['data']['key']}"}
    for path in ("/api/v1/dashboards", "/api/v1/dashboards/"):
        refused = await client.post(path, json=SEED_BODY, headers=reader)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN", path
    assert (await client.post("/api/v1/dashboards/", json=SEED_BODY)).status_code == 401


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/dashboards/org-123/"), ("GET", "/api/v1/project/"),
                                              ("POST", "/api/v1/dashboards/generate/"), ("GET", "/api/v1/api-keys/"),
                                              ("POST", "/api/v1/dashboards/iframe-token/")])
async def test_other_paths_with_a_slash_are_a_clean_404_without_a_redirect(client, new_project, method, path):
    project = await new_project()
    answer = await client.request(method, path, headers={**project.auth, **EVIL_HOST})
    assert answer.status_code == 404 and "location" not in answer.headers
    assert answer.json() == {"success": False, "error": answer.json()["error"], "code": "NOT_FOUND"}
