"""`Prefer: respond-async` on an upload (what the console sends): 202 at once, with no worker to
finish it, and the generation is already readable when the 202 arrives, so a websocket
subscription made right then finds it (it answered NOT_FOUND while the projection lagged)."""

from __future__ import annotations

from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate


async def test_respond_async_answers_202_with_a_readable_generation(client, new_project):
    project = await new_project()
    for attempt in range(5):  # several times: the read-your-writes wait must hold each time
        answer = await generate(client, project, encoded(sales(), "csv"), headers={"Prefer": "respond-async"},
                                title=f"async {attempt}")
        assert answer.status_code == 202, answer.text
        data = answer.json()["data"]
        assert data["status"] == "processing"
        status = await client.get(f"/api/v1/generations/{data['generation_id']}", headers=project.auth)
        assert status.status_code == 200 and status.json()["data"]["stage"] == "queued"
