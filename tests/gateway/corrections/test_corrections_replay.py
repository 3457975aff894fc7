"""A rebuild gives the same corrected dashboards (their versions and specs are in the log, and the
corrections read model is rebuilt from the dashboards' events); a diff between two versions says
which cards came, went or changed, and why."""

from __future__ import annotations

from contracts import STREAM_NAME
from services.gateway.corrections.models import correction_revisions, dashboard_corrections
from services.gateway.dashboards.models import dashboard_versions, dashboards
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.rebuild import table_digest
from tests.gateway.corrections.test_corrections_api import corrected, ids, path, spec_of
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate
from tests.generation.test_viewer import dashboard_of
from tests.platform.test_cli import dashloom

TABLES = (dashboard_corrections, correction_revisions, dashboards, dashboard_versions)


def digests(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {table.name: table_digest(conn, table) for table in TABLES}


async def test_a_rebuild_gives_the_same_corrected_dashboards(client, new_project, worker, js, engine, nats_server,
                                                            database_url):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    await corrected(client, project, dashboard_id, {"kind": "remove", "card_id": "top-rows"})
    pinned = await corrected(client, project, dashboard_id, {"kind": "pin", "card_id": "breakdown-region"})
    await corrected(client, project, dashboard_id, {"kind": "rename", "card_id": "rows", "title": "Orders"})
    undone = await client.delete(path(dashboard_id, f"/{pinned['correction']['correction_id']}"), headers=project.auth)
    assert undone.status_code == 200, undone.text
    assert (await generate(client, project, encoded(sales(330), "csv"), dashboard_id=dashboard_id)).status_code == 200
    spec = await spec_of(client, project, dashboard_id)
    listed = (await client.get(path(dashboard_id), headers=project.auth)).json()["data"]
    last = (await js.stream_info(STREAM_NAME)).state.last_seq
    for projection in ("generations", "corrections"):
        assert await wait_for_checkpoint(engine, projection, last, timeout=15)
    before = digests(engine)
    with engine.connect() as conn:
        assert conn.execute(correction_revisions.select()).all() == [(dashboard_id, 4)]

    for projection in ("generations", "corrections"):
        result = dashloom("replay", "rebuild", projection, nats_url=nats_server.url, database_url=database_url)
        assert result.returncode == 0, result.stderr
        assert "matches live: True" in result.stderr
    assert digests(engine) == before
    assert await spec_of(client, project, dashboard_id) == spec
    assert (await client.get(path(dashboard_id), headers=project.auth)).json()["data"] == listed
    assert "top-rows" not in ids(spec) and spec["cards"][0]["id"] != "breakdown-region"


async def test_a_diff_says_which_cards_came_went_or_changed_and_why(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)  # version 1
    await corrected(client, project, dashboard_id, {"kind": "remove", "card_id": "top-rows"})  # version 2
    await corrected(client, project, dashboard_id, {"kind": "rename", "card_id": "rows", "title": "Orders"})  # 3
    answer = await generate(client, project, encoded(sales(420), "csv"), dashboard_id=dashboard_id,
                            column_types='{"amount": "measure:mean"}')  # version 4: new data, a new rule for amount
    assert answer.status_code == 200, answer.text

    corrections = (await client.get(f"/api/v1/dashboards/{dashboard_id}/versions/1/diff/3", headers=project.auth))
    assert corrections.status_code == 200, corrections.text
    diff = corrections.json()["data"]
    assert diff["new_data"] is False and diff["came"] == []
    assert diff["went"] == [{"card_id": "top-rows", "title": diff["went"][0]["title"], "why": ["a correction"]}]
    assert [(c["card_id"], c["fields"], c["why"]) for c in diff["changed"]] == [("rows", ["title"], ["a correction"])]

    data = (await client.get(f"/api/v1/dashboards/{dashboard_id}/versions/3/diff/4", headers=project.auth)).json()["data"]
    assert data["new_data"] is True
    changed = {c["card_id"]: c for c in data["changed"]}
    assert "a correction" not in changed["rows"]["why"] and "new data" in changed["rows"]["why"]
    assert changed["rows"]["fields"] == ["display", "value"]  # 420 orders now; still "Orders"
    came = {c["card_id"]: c["why"] for c in data["came"]}
    assert came and all("a new rule" in why for why in came.values())  # the amount cards compute a mean now
    assert all(c["card_id"] != "top-rows" for c in data["came"])  # the removal holds in the new data

    missing = await client.get(f"/api/v1/dashboards/{dashboard_id}/versions/1/diff/9", headers=project.auth)
    assert missing.status_code == 404 and "version 9" in missing.json()["error"]
