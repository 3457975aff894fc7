"""A person's corrections through the API, end to end (the gateway and a generation worker on the
test's nats-server, the read models on SQLite and PostgreSQL): each kind, undo, the checks, a
refresh in place that keeps them, a column that disappears, two at once."""

from __future__ import annotations

import asyncio

from contracts import STREAM_NAME
from services.gateway.edge.state import state_of
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import completed, generate
from tests.generation.test_viewer import dashboard_of


def path(dashboard_id: str, rest: str = "") -> str:
    return f"/api/v1/dashboards/{dashboard_id}/corrections{rest}"


async def spec_of(client, project, dashboard_id: str) -> dict:
    return (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]["spec"]


async def drawn(client, project, answer) -> dict:
    """The correction's answer once its drawing completed (a slow machine may answer "processing")."""
    assert answer.status_code in (200, 201), answer.text
    data = answer.json()["data"]
    generation = data["generation"]
    await completed(client, project.auth, {**generation, "generation_id": generation["generation_id"]})
    return data


async def corrected(client, project, dashboard_id: str, body: dict, **headers) -> dict:
    answer = await client.post(path(dashboard_id), headers={**project.auth, **headers}, json=body)
    return await drawn(client, project, answer)


def card(spec: dict, card_id: str) -> dict:
    return next(c for c in spec["cards"] if c["id"] == card_id)


def ids(spec: dict) -> list[str]:
    return [c["id"] for c in spec["cards"]]


async def test_each_correction_applies_to_the_dashboard_and_an_undo_takes_it_back(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    listed = await client.get(path(dashboard_id), headers=project.auth)
    assert listed.json()["data"] == {"revision": 0, "corrections": []} and listed.headers["etag"] == '"0"'
    generated = await spec_of(client, project, dashboard_id)
    assert {"breakdown-region", "top-rows", "rows"} <= set(ids(generated)), ids(generated)

    removed = await corrected(client, project, dashboard_id, {"kind": "remove", "card_id": "top-rows"})
    assert removed["revision"] == 1 and removed["correction"]["kind"] == "remove"
    assert removed["correction"]["corrected_by"] == project.key.key_id and removed["generation"]["status"] == "completed"
    assert "top-rows" not in ids(await spec_of(client, project, dashboard_id))

    await corrected(client, project, dashboard_id, {"kind": "pin", "card_id": "breakdown-region"})
    await corrected(client, project, dashboard_id, {"kind": "move", "card_id": "rows", "position": 3})
    await corrected(client, project, dashboard_id, {"kind": "rename", "card_id": "breakdown-region",
                                                    "title": "Where it sells"})
    await corrected(client, project, dashboard_id, {"kind": "change_query", "card_id": "breakdown-region", "query": {
        "measure": "amount", "aggregate": "sum", "by": ["product"], "top_n": 5}})
    added = await corrected(client, project, dashboard_id, {"kind": "add", "title": "Discount by region", "query": {
        "measure": "discount_rate", "aggregate": "mean", "by": ["region"]}})
    await corrected(client, project, dashboard_id, {"kind": "set_column_types",
                                                    "column_types": {"discount_rate": "measure:median"}})
    spec = await spec_of(client, project, dashboard_id)
    first = spec["cards"][0]
    assert first["id"] == "breakdown-region" and first["pinned"] and first["title"] == "Where it sells"
    assert first["query"]["measure"] == "amount" and first["query"]["by"] == ["product"]
    assert first["rule"].startswith("chosen by a person: pinned by") and "renamed by" in first["rule"]
    assert "the generator's rule was: breakdown" in first["rule"]
    assert len(first["vega_lite"]["data"]["values"]) == 6  # the top 5 products and Other
    assert ids(spec)[3] == "rows"
    mine = card(spec, added["correction"]["card_id"])
    assert mine["title"] == "Discount by region" and mine["query"]["by"] == ["region"]
    assert [c["aggregate"] for c in spec["columns"] if c["name"] == "discount_rate"] == ["median"]

    undone = await client.delete(path(dashboard_id, f"/{removed['correction']['correction_id']}"), headers=project.auth)
    data = await drawn(client, project, undone)
    assert data["correction"]["undone_at"] is not None and data["revision"] == 8
    # the table is back (its id has a suffix: with discount_rate a median, its query is another)
    assert any(card_id.startswith("top-rows") for card_id in ids(await spec_of(client, project, dashboard_id)))
    listed = (await client.get(path(dashboard_id), headers=project.auth)).json()["data"]
    assert [c["kind"] for c in listed["corrections"]] == ["remove", "pin", "move", "rename", "change_query", "add",
                                                          "set_column_types"]
    assert [c["undone_at"] is None for c in listed["corrections"]] == [False] + [True] * 6
    versions = (await client.get(f"/api/v1/dashboards/{dashboard_id}/versions", headers=project.auth)).json()
    assert versions["pagination"]["total"] == 9  # the upload, then one drawing per correction


async def test_a_correction_naming_a_column_or_card_the_dashboard_lacks_is_a_422_and_appends_nothing(
        client, new_project, worker, js):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    before = (await js.stream_info(STREAM_NAME)).state.last_seq
    for body, named in (
            ({"kind": "change_query", "card_id": "rows", "query": {"measure": "price", "aggregate": "sum"}}, "`price`"),
            ({"kind": "add", "query": {"aggregate": "count", "by": ["colour"]}}, "`colour`"),
            ({"kind": "remove", "card_id": "no-such-card"}, "`no-such-card`"),
            ({"kind": "set_column_types", "column_types": {"weight_kg": "measure"}}, "`weight_kg`")):
        answer = await client.post(path(dashboard_id), headers=project.auth, json=body)
        assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR", answer.text
        assert named in answer.json()["error"]
    unknown = await client.post(path(dashboard_id), headers=project.auth, json={"kind": "paint", "card_id": "rows"})
    assert unknown.status_code == 422
    assert (await js.stream_info(STREAM_NAME)).state.last_seq == before


async def test_a_stale_if_match_is_a_409_and_an_idempotency_key_makes_one_correction(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    body = {"kind": "rename", "card_id": "rows", "title": "Orders"}
    first = await corrected(client, project, dashboard_id, body, **{"If-Match": '"0"', "Idempotency-Key": "k-1"})
    again = await corrected(client, project, dashboard_id, body, **{"Idempotency-Key": "k-1"})
    assert again["correction"]["correction_id"] == first["correction"]["correction_id"] and again["revision"] == 1
    stale = await client.post(path(dashboard_id), headers={**project.auth, "If-Match": '"0"'},
                              json={"kind": "remove", "card_id": "top-rows"})
    assert stale.status_code == 409 and stale.json()["code"] == "CONFLICT" and "revision 1" in stale.json()["error"]
    assert (await client.get(path(dashboard_id), headers=project.auth)).json()["data"]["revision"] == 1


async def test_two_corrections_at_once_both_apply_in_order_or_the_stale_one_is_a_409(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    unchecked = await asyncio.gather(*[client.post(path(dashboard_id), headers=project.auth, json={
        "kind": "rename", "card_id": card_id, "title": f"Renamed {card_id}"}) for card_id in ("rows", "top-rows")])
    for answer in unchecked:
        await drawn(client, project, answer)
    spec = await spec_of(client, project, dashboard_id)  # the newest version has both: no lost update
    assert card(spec, "rows")["title"] == "Renamed rows" and card(spec, "top-rows")["title"] == "Renamed top-rows"
    listed = (await client.get(path(dashboard_id), headers=project.auth)).json()["data"]
    assert listed["revision"] == 2 and [c["number"] for c in listed["corrections"]] == [1, 2]

    checked = await asyncio.gather(*[client.post(path(dashboard_id), headers={**project.auth, "If-Match": '"2"'},
                                                 json={"kind": "pin", "card_id": card_id})
                                     for card_id in ("rows", "top-rows")])
    assert sorted(answer.status_code for answer in checked) == [201, 409], [a.text for a in checked]
    winner = next(answer for answer in checked if answer.status_code == 201)
    await drawn(client, project, winner)
    spec = await spec_of(client, project, dashboard_id)
    assert spec["cards"][0]["id"] == winner.json()["data"]["correction"]["card_id"]
    assert sum(1 for c in spec["cards"] if c.get("pinned")) == 1


async def test_a_refresh_keeps_the_corrections_and_reports_one_whose_column_is_gone(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    await corrected(client, project, dashboard_id, {"kind": "rename", "card_id": "rows", "title": "Orders"})
    await corrected(client, project, dashboard_id, {"kind": "change_query", "card_id": "breakdown-region", "query": {
        "measure": "discount_rate", "aggregate": "mean", "by": ["region"]}})
    await corrected(client, project, dashboard_id, {"kind": "remove", "card_id": "top-rows"})

    answer = await generate(client, project, encoded(sales(420).drop("discount_rate"), "csv"), dashboard_id=dashboard_id)
    assert answer.status_code == 200, answer.text
    spec = await spec_of(client, project, dashboard_id)
    assert spec["rows"] == 420 and card(spec, "rows")["title"] == "Orders" and "top-rows" not in ids(spec)
    kept = card(spec, "breakdown-region")
    assert kept["problems"] == ["the column `discount_rate` is gone from this version"]
    page = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=project.auth)
    assert "the column `discount_rate` is gone from this version" in page.text  # said on the card
    report = {entry["kind"]: entry for entry in spec["corrections"]}
    assert not report["change_query"]["applied"] and report["rename"]["applied"]
    listed = (await client.get(path(dashboard_id), headers=project.auth)).json()["data"]
    assert all(c["undone_at"] is None for c in listed["corrections"]) and len(listed["corrections"]) == 3

    answer = await generate(client, project, encoded(sales(500), "csv"), dashboard_id=dashboard_id)
    assert answer.status_code == 200, answer.text
    back = card(await spec_of(client, project, dashboard_id), "breakdown-region")
    assert back["query"]["measure"] == "discount_rate" and "problems" not in back


async def test_past_the_uploads_retention_a_correction_applies_what_needs_no_data(client, new_project, worker):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    blobs = state_of(client.app).blobs
    for name in await blobs.names(f"uploads/{project.project_id}/"):  # as the retention sweep does
        await blobs.delete(name)
    await corrected(client, project, dashboard_id, {"kind": "rename", "card_id": "rows", "title": "Orders"})
    changed = await corrected(client, project, dashboard_id, {"kind": "change_query", "card_id": "breakdown-region",
                                                              "query": {"measure": "amount", "aggregate": "sum",
                                                                        "by": ["region"]}})
    assert changed["generation"]["status"] == "completed"
    spec = await spec_of(client, project, dashboard_id)
    assert card(spec, "rows")["title"] == "Orders"
    waiting = card(spec, "breakdown-region")
    assert waiting["query"]["aggregate"] != "sum" and "next upload" in waiting["problems"][0]
    await corrected(client, project, dashboard_id, {"kind": "remove", "card_id": "top-rows"})
    undone = await client.delete(path(dashboard_id, f"/{changed['correction']['correction_id']}"), headers=project.auth)
    await drawn(client, project, undone)
    spec = await spec_of(client, project, dashboard_id)  # the generated cards were remembered: nothing lost
    assert "problems" not in card(spec, "breakdown-region") and card(spec, "rows")["title"] == "Orders"
    assert "top-rows" not in ids(spec)
    answer = await generate(client, project, encoded(sales(310), "csv"), dashboard_id=dashboard_id)
    assert answer.status_code == 200, answer.text
    spec = await spec_of(client, project, dashboard_id)
    assert card(spec, "rows")["title"] == "Orders" and "top-rows" not in ids(spec)
