"""`dashloom replay rebuild` rebuilds dashboards, their versions and tenants (and the sharing
service's view of them) identically, including dashboards written before typed ids."""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import select

from contracts import STREAM_NAME
from services.gateway.dashboards.models import dashboard_versions, dashboards, tenants
from services.gateway.generation.models import generations
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.rebuild import table_digest
from services.sharing.models import shareable_dashboards
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate
from tests.platform.test_cli import dashloom
from tests.sharing.test_share_links import share

TABLES = (dashboards, dashboard_versions, tenants, generations, shareable_dashboards)
LEGACY = "0f" * 16


def digests(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {table.name: table_digest(conn, table) for table in TABLES}


async def legacy_generation(js, project_id: str) -> None:
    """A generation completed before typed ids, as its v1 events lie in the log."""
    envelope = {"occurred_at": "2025-01-02T03:04:05Z", "project_id": project_id, "aggregate_id": LEGACY,
                "correlation_id": None, "causation_id": None}
    requested = {**envelope, "event_id": str(uuid.uuid4()), "type": "DashboardRequested", "version": 2, "payload": {
        "upload": {"name": f"uploads/{project_id}/{LEGACY}/f", "sha256": "ab" * 32, "size": 9},
        "file_format": "csv", "title": "Old", "tenant_id": "org-old"}}
    completed = {**envelope, "event_id": str(uuid.uuid4()), "type": "GenerationCompleted", "version": 1, "payload": {
        "dashboard_id": f"d{LEGACY}", "title": "Old", "card_count": 2,
        "spec": {"name": f"specs/d{LEGACY}.json", "sha256": "ab" * 32, "size": 9}}}
    for event in (requested, completed):
        await js.publish(f"events.generation.{LEGACY}", orjson.dumps(event), headers={
            "Nats-Msg-Id": event["event_id"], "Dashloom-Type": event["type"], "Dashloom-Version": str(event["version"])})


async def test_a_rebuild_gives_the_same_dashboards_versions_and_tenants(
        client, new_project, worker, sharing, js, engine, nats_server, database_url):
    project = await new_project()
    await legacy_generation(js, project.project_id)
    made = [(await client.post("/api/v1/dashboards", headers=project.auth, json={
        "tenant_id": tenant, "workspace_id": "w", "name": name})).json()["data"]["id"]
        for tenant, name in (("org-a", "A"), ("org-a", "A2"), ("org-b", "B"))]
    for rows in (100, 150):
        answer = await generate(client, project, encoded(sales(rows), "csv"), dashboard_id=made[0])
        assert answer.status_code == 200, answer.text
    assert (await generate(client, project, encoded(sales(), "csv"), tenant_id="org-c")).status_code == 200
    await share(client, project, made[0])
    assert (await client.delete(f"/api/v1/dashboards/{made[2]}", headers=project.auth)).status_code == 200
    assert (await client.delete(f"/api/v1/dashboards/dsh_{LEGACY}", headers=project.auth)).status_code == 200
    last = (await js.stream_info(STREAM_NAME)).state.last_seq
    for projection in ("generations", "sharing_dashboards"):
        assert await wait_for_checkpoint(engine, projection, last, timeout=15)
    before = digests(engine)
    with engine.connect() as conn:
        assert dict(conn.execute(select(tenants.c.tenant_id, tenants.c.dashboard_count)).all()) == {
            "org-a": 2, "org-b": 0, "org-c": 1, "org-old": 0}
        assert conn.execute(select(dashboards.c.version).where(dashboards.c.dashboard_id == made[0])).scalar() == 2
        assert conn.execute(select(dashboards.c.deleted_at).where(
            dashboards.c.dashboard_id == f"dsh_{LEGACY}")).scalar() is not None

    for projection in ("generations", "sharing_dashboards"):
        result = dashloom("replay", "rebuild", projection, nats_url=nats_server.url, database_url=database_url)
        assert result.returncode == 0, result.stderr
        assert "matches live: True" in result.stderr
    assert digests(engine) == before
    assert (await js.stream_info(STREAM_NAME)).state.last_seq == last  # a replay appends nothing
