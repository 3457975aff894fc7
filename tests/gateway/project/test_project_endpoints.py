"""Project endpoints over read models built from events, and object-level authorization."""

from datetime import date, timedelta

import pytest

from contracts import WebhookEndpointDeleted, WebhookEndpointRegistered, WebhookEndpointUpdated
from services.gateway.generation.projections import generation_status
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.rebuild import Rebuild
from services.readmodels.versions import VersionReader
from tests.factories import generation_lifecycle, new_id


def completed_with_metrics(project_id: str, days: int = 10):
    generation_id, start = new_id(), date(2024, 1, 1)
    return generation_lifecycle(generation_id, project_id=project_id, metrics=[
        {"metric_id": f"d-{generation_id}.revenue", "name": "Revenue", "aggregation": "sum",
         "points": [{"date": start + timedelta(days=d), "value": 100.0 + d} for d in range(days)]},
        {"metric_id": f"d-{generation_id}.orders", "name": "Orders", "aggregation": "count",
         "points": [{"date": start + timedelta(days=d), "value": float(d)} for d in range(days)]},
    ])


@pytest.fixture
async def seeded(store, js, engine, new_project):
    """Two projects with dashboards, metrics and a webhook endpoint each (the gateway's integrations
    projection follows the endpoints' events)."""
    mine, theirs = await new_project("mine"), await new_project("theirs")
    events = []
    for project in (mine, theirs):
        for _ in range(3):
            events += completed_with_metrics(project.project_id)
        events.append(WebhookEndpointRegistered(project_id=project.project_id, aggregate_id=new_id(), payload={
            "url": f"https://{project.project_id}.example/hook", "event_types": ["GenerationCompleted"]}))
    last = (await store.append_many(events))[-1]
    for projection in ("generations", "metrics", "integrations", "integration_endpoints"):
        assert await wait_for_checkpoint(engine, projection, last, timeout=10)
    yield mine, theirs


async def test_dashboards_page_and_stay_in_their_project(client, seeded):
    mine, theirs = seeded
    first = (await client.get("/api/v1/dashboards?limit=2", headers=mine.auth)).json()
    assert first["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    rest = (await client.get("/api/v1/dashboards?limit=2&offset=2", headers=mine.auth)).json()
    assert rest["pagination"]["has_more"] is False and len(rest["data"]) == 1
    mine_ids = {d["id"] for d in first["data"] + rest["data"]}
    theirs_ids = {d["id"] for d in (await client.get("/api/v1/dashboards", headers=theirs.auth)).json()["data"]}
    assert len(mine_ids) == 3 and not mine_ids & theirs_ids
    one = next(iter(theirs_ids))
    assert (await client.get(f"/api/v1/dashboards/{one}", headers=theirs.auth)).status_code == 200
    hidden = await client.get(f"/api/v1/dashboards/{one}", headers=mine.auth)
    assert hidden.status_code == 404 and hidden.json()["code"] == "NOT_FOUND"


async def test_generation_status_is_per_project(client, seeded, store, engine):
    mine, theirs = seeded
    generation_id = new_id()
    seq = (await store.append_many(generation_lifecycle(generation_id, project_id=theirs.project_id)[:3]))[-1]
    assert await wait_for_checkpoint(engine, "generations", seq, timeout=10)
    status = (await client.get(f"/api/v1/generations/{generation_id}", headers=theirs.auth)).json()["data"]
    assert status["status"] == "processing" and status["stage"] == "parsing" and status["percent"] == 10
    assert (await client.get(f"/api/v1/generations/{generation_id}", headers=mine.auth)).status_code == 404


async def test_metrics_filter_by_id_and_dates(client, seeded):
    mine, _ = seeded
    everything = (await client.get("/api/v1/metrics?limit=1000", headers=mine.auth)).json()
    assert everything["pagination"]["total"] == 60  # 3 dashboards x 2 series x 10 days
    metric_id = everything["data"][0]["metric_id"]
    window = (await client.get(f"/api/v1/metrics?metric_id={metric_id}&start_date=2024-01-03&end_date=2024-01-05",
                               headers=mine.auth)).json()
    assert [(p["date"], p["metric_id"]) for p in window["data"]] == [
        (f"2024-01-0{d}", metric_id) for d in (3, 4, 5)]
    default = (await client.get("/api/v1/metrics", headers=mine.auth)).json()
    assert default["pagination"]["limit"] == 100
    datetime_bound = (await client.get("/api/v1/metrics?start_date=2024-01-10T00:00:00Z", headers=mine.auth)).json()
    assert datetime_bound["pagination"]["total"] == 6
    theirs_metric = (await client.get("/api/v1/metrics?limit=1", headers=seeded[1].auth)).json()["data"][0]["metric_id"]
    peek = (await client.get(f"/api/v1/metrics?metric_id={theirs_metric}", headers=mine.auth)).json()
    assert peek["data"] == [] and peek["pagination"]["total"] == 0


async def test_integrations_list_sources_and_endpoints(client, seeded):
    mine, _ = seeded
    items = (await client.get("/api/v1/integrations", headers=mine.auth)).json()["data"]
    source = next(i for i in items if i["type"] == "data_source")
    assert source["file_format"] == "csv" and source["uploads"] == 3 and source["bytes"] == 3000
    [endpoint] = [i for i in items if i["type"] == "webhook_endpoint"]
    assert endpoint["url"] == f"https://{mine.project_id}.example/hook" and endpoint["status"] == "enabled"


async def test_a_cached_list_follows_every_change_of_the_read_model(client, seeded, store, engine):
    mine, _ = seeded
    before = (await client.get("/api/v1/dashboards", headers=mine.auth)).json()
    assert before == (await client.get("/api/v1/dashboards", headers=mine.auth)).json()  # served again
    seq = (await store.append_many(generation_lifecycle(new_id(), project_id=mine.project_id)))[-1]
    assert await wait_for_checkpoint(engine, "generations", seq, timeout=10)
    after = (await client.get("/api/v1/dashboards", headers=mine.auth)).json()
    assert after["pagination"]["total"] == before["pagination"]["total"] + 1


async def test_a_rebuild_changes_the_version_even_at_the_same_sequence(client, seeded, store, engine):
    versions = VersionReader(engine)
    before = versions.version("generations")
    with engine.begin() as conn:  # tamper with the live read model behind the gateway's back
        conn.exec_driver_sql("DELETE FROM dashboards")
    await Rebuild(store.reader, engine, generation_status).run()
    after = versions.version("generations")
    assert after[0] == before[0] and after != before
    mine, _ = seeded
    assert (await client.get("/api/v1/dashboards", headers=mine.auth)).json()["pagination"]["total"] == 3


async def test_integrations_follow_an_endpoint_s_events_without_the_webhooks_service(client, seeded, store, engine):
    mine, _ = seeded

    async def endpoints() -> list[dict]:
        items = (await client.get("/api/v1/integrations", headers=mine.auth)).json()["data"]
        return [item for item in items if item["type"] == "webhook_endpoint"]

    [endpoint] = await endpoints()
    change = {"url": "https://moved.example/hook", "enabled": False}
    seq = await store.append(WebhookEndpointUpdated(project_id=mine.project_id, aggregate_id=endpoint["id"],
                                                    payload=change))
    assert await wait_for_checkpoint(engine, "integration_endpoints", seq, timeout=10)
    [changed] = await endpoints()
    assert (changed["url"], changed["status"]) == ("https://moved.example/hook", "disabled")
    seq = await store.append(WebhookEndpointDeleted(project_id=mine.project_id, aggregate_id=endpoint["id"]))
    assert await wait_for_checkpoint(engine, "integration_endpoints", seq, timeout=10)
    assert await endpoints() == []
