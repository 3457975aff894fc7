"""The embedding guide's flow (../shared/seeds/001) as it is written: create a tenant's dashboard,
issue an iframe token, open the embed before any data (200, "no data yet"), upload into the
dashboard, open the embed again (the dashboard). A data-less dashboard's share link and viewer say
"no data yet" too; only a deleted dashboard answers 410, and an unknown link stays 404."""

from __future__ import annotations

import secrets

from tests.embedding.test_iframe_tokens import frame_ancestors
from tests.gateway.dashboards.test_refresh_and_delete import refreshed
from tests.generation.samples import encoded, sales
from tests.sharing.test_share_links import path_of, share

SEED_CREATE = {"tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales Dashboard",
               "description": "Q4 Sales Analytics"}
NO_DATA = "no data yet"


async def seed_dashboard(client, owner) -> str:
    created = await client.post("/api/v1/dashboards", headers=owner.auth, json=SEED_CREATE)
    assert created.status_code == 201, created.text
    return created.json()["data"]["dashboard_id"]


async def seed_token(client, owner, dashboard_id: str) -> str:
    answer = await client.post("/api/v1/dashboards/iframe-token", headers=owner.auth, json={
        "tenant_id": "org-123", "workspace_id": "workspace-456", "dashboard_id": dashboard_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["token"]


async def test_the_seeds_embed_flow_says_no_data_yet_then_shows_the_dashboard(client, new_project, worker, sharing):
    owner = await new_project()
    dashboard_id = await seed_dashboard(client, owner)
    token = await seed_token(client, owner, dashboard_id)

    before = await client.get(f"/embed/{token}")
    assert before.status_code == 200, before.text
    assert NO_DATA in before.text and "Sales Dashboard" in before.text and "deleted" not in before.text
    assert frame_ancestors(before) == "'none'" and "no-store" in before.headers["cache-control"]

    assert (await refreshed(client, owner, dashboard_id, encoded(sales(), "csv"), title="Q4 sales"))[
        "dashboard_id"] == dashboard_id
    after = await client.get(f"/embed/{token}")
    assert after.status_code == 200 and "Q4 sales" in after.text and 'class="chart"' in after.text
    assert NO_DATA not in after.text


async def test_a_data_less_dashboards_share_link_and_viewer_say_no_data_yet(client, new_project, worker, sharing):
    owner = await new_project()
    dashboard_id = await seed_dashboard(client, owner)
    link = await share(client, owner, dashboard_id)
    assert link.status_code == 201, link.text
    shared = await client.get(path_of(link.json()["data"]["url"]))
    assert shared.status_code == 200 and NO_DATA in shared.text and "Sales Dashboard" in shared.text
    viewed = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=owner.auth)
    assert viewed.status_code == 200 and NO_DATA in viewed.text
    assert viewed.headers["content-type"].startswith("text/html")

    unknown = await client.get(f"/s/sl_{secrets.token_urlsafe(32)}")
    assert unknown.status_code == 404 and "No such link" in unknown.text


async def test_only_a_deleted_dashboard_answers_410(client, new_project, worker, sharing):
    owner = await new_project()
    dashboard_id = await seed_dashboard(client, owner)
    token = await seed_token(client, owner, dashboard_id)
    link = path_of((await share(client, owner, dashboard_id)).json()["data"]["url"])
    assert (await client.get(f"/embed/{token}")).status_code == 200
    assert (await client.delete(f"/api/v1/dashboards/{dashboard_id}", headers=owner.auth)).status_code == 200
    embed = await client.get(f"/embed/{token}")
    assert embed.status_code == 410 and "deleted" in embed.text and NO_DATA not in embed.text
    shared = await client.get(link)
    assert shared.status_code == 410 and NO_DATA not in shared.text
    viewed = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=owner.auth)
    assert viewed.status_code == 410 and viewed.json()["code"] == "GONE"
