"""Refresh in place and deletion, end to end: a new file becomes the dashboard's next version under
the same id (its share link shows it), and deleting a dashboard ends it, its links and its files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from contracts import STREAM_NAME
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate
from tests.generation.test_viewer import dashboard_of
from tests.generation.test_worker_crash import until
from tests.sharing.test_share_links import path_of, share


async def last_seq(js) -> int:
    return (await js.stream_info(STREAM_NAME)).state.last_seq


def blob_files(settings) -> list[str]:
    root = Path(settings.blob_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def refreshed(client, project, dashboard_id: str, content: bytes, **fields) -> dict:
    answer = await generate(client, project, content, dashboard_id=dashboard_id, **fields)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def queries_by_id(dashboard: dict) -> dict[str, str]:
    return {card["id"]: repr(card.get("query")) for card in dashboard["spec"]["cards"]}


async def test_a_refresh_is_the_next_version_under_the_same_id_and_its_share_link_shows_it(
        client, new_project, worker, sharing, settings):
    project = await new_project()
    first_file, second_file = encoded(sales(300), "csv"), encoded(sales(420), "csv")
    dashboard_id = await dashboard_of(client, project, sales(300), title="Sales before")
    assert dashboard_id.startswith("dsh_")
    link = (await share(client, project, dashboard_id)).json()["data"]
    assert "Sales before" in (await client.get(path_of(link["url"]))).text
    before = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]

    data = await refreshed(client, project, dashboard_id, second_file, title="Sales after",
                           column_types='{"amount": "measure:mean"}')  # the amount cards' queries change
    assert data["dashboard_id"] == dashboard_id and data["dashboard"]["title"] == "Sales after"
    page = await client.get(path_of(link["url"]))
    assert page.status_code == 200 and "Sales after" in page.text and "Sales before" not in page.text
    after = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]
    assert after["version"] == 2 and after["id"] == dashboard_id and after["title"] == "Sales after"
    old_ids, new_ids = queries_by_id(before), queries_by_id(after)
    shared = set(old_ids) & set(new_ids)
    assert all(old_ids[i] == new_ids[i] for i in shared), "an id kept across versions names another query"
    same_query = {q for q in new_ids.values() if q in old_ids.values()}
    assert len(shared) == len(same_query) >= 3  # every card whose query stayed kept its id
    changed = [i for i, q in new_ids.items() if q not in old_ids.values()]
    assert changed and all(i not in old_ids for i in changed)  # an amount card computes a mean now: a new id

    versions = (await client.get(f"/api/v1/dashboards/{dashboard_id}/versions", headers=project.auth)).json()
    assert versions["pagination"]["total"] == 2
    assert [(v["version"], v["upload_sha256"], v["row_count"], v["created_by"]) for v in versions["data"]] == [
        (2, hashlib.sha256(second_file).hexdigest(), 420, project.key.key_id),
        (1, hashlib.sha256(first_file).hexdigest(), 300, project.key.key_id)]
    listed = (await client.get("/api/v1/dashboards", headers=project.auth)).json()
    assert [d["id"] for d in listed["data"]] == [dashboard_id]  # one dashboard, two versions


async def test_a_tenant_dashboard_gets_its_data_by_a_refresh(client, new_project, worker):
    project = await new_project()
    board = (await client.post("/api/v1/dashboards", headers=project.auth, json={
        "tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales Dashboard"})).json()["data"]
    empty = await client.get(f"/api/v1/dashboards/{board['id']}/view", headers=project.auth)
    assert empty.status_code == 200 and "no data yet" in empty.text and "Sales Dashboard" in empty.text
    mismatch = await generate(client, project, encoded(sales(), "csv"), dashboard_id=board["id"], tenant_id="org-999")
    assert mismatch.status_code == 422 and "org-123" in mismatch.json()["error"]
    data = await refreshed(client, project, board["id"], encoded(sales(), "csv"))
    assert data["dashboard_id"] == board["id"]
    shown = (await client.get(f"/api/v1/dashboards/{board['id']}", headers=project.auth)).json()["data"]
    assert shown["version"] == 1 and shown["name"] == "Sales Dashboard" and shown["tenant_id"] == "org-123"
    assert (await client.get(f"/api/v1/dashboards/{board['id']}/view", headers=project.auth)).status_code == 200
    generation = (await client.get(f"/api/v1/generations/{data['generation_id']}", headers=project.auth)).json()
    assert generation["data"]["dashboard_id"] == board["id"]


async def test_a_refresh_of_another_projects_or_a_deleted_dashboard_is_a_404_and_appends_nothing(
        client, new_project, worker, js, settings):
    owner, other = await new_project(), await new_project("Other")
    dashboard_id = await dashboard_of(client, owner)
    gone = (await client.post("/api/v1/dashboards", headers=owner.auth, json={
        "tenant_id": "org-1", "workspace_id": "w", "name": "Gone"})).json()["data"]["id"]
    assert (await client.delete(f"/api/v1/dashboards/{gone}", headers=owner.auth)).status_code == 200
    uploads_before, before = blob_files(settings), await last_seq(js)
    for project, target in ((other, dashboard_id), (owner, gone), (owner, "dsh_never")):
        answer = await generate(client, project, encoded(sales(), "csv"), dashboard_id=target)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", answer.text
    malformed = await generate(client, owner, encoded(sales(), "csv"), dashboard_id="d" + "0" * 32)
    assert malformed.status_code == 422
    assert await last_seq(js) == before and blob_files(settings) == uploads_before


async def test_deleting_a_dashboard_ends_it_its_share_links_and_its_files(client, new_project, worker, sharing,
                                                                          settings, js):
    project = await new_project(plan="premium")
    dashboard_id = await dashboard_of(client, project, allow_pdf_export="true")
    await refreshed(client, project, dashboard_id, encoded(sales(310), "csv"), allow_pdf_export="true")
    kept_id = await dashboard_of(client, project, title="Kept")
    link = (await share(client, project, dashboard_id)).json()["data"]
    kept_link = (await share(client, project, kept_id)).json()["data"]
    assert (await client.get(path_of(link["url"]))).status_code == 200
    versions = (await client.get(f"/api/v1/dashboards/{dashboard_id}/versions", headers=project.auth)).json()["data"]
    generations = [v["generation_id"] for v in versions]

    def of_the_dashboard(names: list[str]) -> list[str]:
        return [name for name in names if dashboard_id in name or any(g in name for g in generations)]

    mine = of_the_dashboard(blob_files(settings))  # two versions: spec, PDF and upload each
    assert sorted(name.split("/")[0] for name in mine) == ["pdfs", "pdfs", "specs", "specs", "uploads", "uploads"]

    async def metric_boards() -> set[str]:
        metrics = (await client.get("/api/v1/metrics?limit=1000", headers=project.auth)).json()["data"]
        return {point["dashboard_id"] for point in metrics}

    # the metrics projection follows the log on its own: the dashboards being ready does not mean it has
    await until(metric_boards, lambda boards: boards == {dashboard_id, kept_id}, timeout=20)
    deleted = await client.delete(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)
    assert deleted.status_code == 200 and deleted.json()["data"]["id"] == dashboard_id

    page = await client.get(path_of(link["url"]))
    assert page.status_code == 410 and "deleted" in page.text
    for method, path in (("GET", f"/api/v1/dashboards/{dashboard_id}"), ("GET", f"/api/v1/dashboards/{dashboard_id}/view"),
                         ("GET", f"/api/v1/dashboards/{dashboard_id}/pdf"),
                         ("GET", f"/api/v1/dashboards/{dashboard_id}/versions"),
                         ("DELETE", f"/api/v1/dashboards/{dashboard_id}"),
                         ("GET", f"/api/v1/share-links/{link['id']}"),
                         ("GET", f"/api/v1/dashboards/{dashboard_id}/share-links"),
                         ("POST", f"/api/v1/dashboards/{dashboard_id}/share-links")):
        answer = await client.request(method, path, headers=project.auth)
        assert answer.status_code == 410 and answer.json()["code"] == "GONE", (method, path, answer.text)
    left = blob_files(settings)
    assert of_the_dashboard(left) == []
    assert (await client.get(path_of(kept_link["url"]))).status_code == 200  # nothing else was touched
    assert any(kept_id in name for name in left)
    await until(metric_boards, lambda boards: boards == {kept_id}, timeout=10)  # its metrics are gone
