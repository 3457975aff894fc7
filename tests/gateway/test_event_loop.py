"""No route makes the event loop wait on the database: every read runs in a worker thread."""

from __future__ import annotations

import re
import threading

from sqlalchemy import event

from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle


async def test_no_database_read_runs_on_the_event_loop(client, new_project, store, engine):
    project = await new_project()
    events = generation_lifecycle("g1", project_id=project.project_id)
    seq = (await store.append_many(events))[-1]
    assert await wait_for_checkpoint(engine, "generations", seq, timeout=10)
    dashboard_id = next(e.payload.dashboard_id for e in events if e.type == "GenerationCompleted")
    on_the_loop: list[str] = []
    loop_thread = threading.current_thread()
    current: list[str] = [""]

    def checkout(*_args) -> None:
        if threading.current_thread() is loop_thread:
            on_the_loop.append(current[0])

    event.listen(engine.pool, "checkout", checkout)
    try:
        spec = (await client.get("/openapi.json")).json()
        paths = [path for path, methods in spec["paths"].items() if "get" in methods
                 and path.startswith("/api/v1/")]
        assert len(paths) >= 8
        for path in paths:
            current[0] = path
            numbers = {p["name"] for p in spec["paths"][path]["get"].get("parameters", [])
                       if p["in"] == "path" and p["schema"].get("type") == "integer"}
            url = re.sub(r"\{([a-z_]+)\}", lambda m, numbers=numbers: "1" if m[1] in numbers else "x1",
                         path.replace("{dashboard_id}", dashboard_id).replace("{generation_id}", "g1"))
            answer = await client.get(url, headers=project.auth)
            # 404: the factory's spec blob was never written, or no such link or endpoint; 403: the
            # PDF needs premium; 503: the routes that ask the sharing or webhooks service (commands
            # over NATS), not running here
            assert answer.status_code in (200, 403, 404, 503), (url, answer.text)
            if answer.status_code == 503:
                assert "share-links" in url or "webhooks" in url, (url, answer.text)
        await _manage_a_key(client, project.auth, current)
    finally:
        event.remove(engine.pool, "checkout", checkout)
    assert on_the_loop == []


async def _manage_a_key(client, auth: dict, current: list[str]) -> None:
    """The key routes that write: each reads the key back from the read model before it answers."""
    current[0] = "POST /api/v1/api-keys"
    created = await client.post("/api/v1/api-keys", json={"name": "loop"}, headers=auth)
    assert created.status_code == 201, created.text
    key_id = created.json()["data"]["id"]
    current[0] = "POST /api/v1/api-keys/{key_id}/rotate"
    rotated = await client.post(f"/api/v1/api-keys/{key_id}/rotate", headers=auth)
    assert rotated.status_code == 201, rotated.text
    current[0] = "DELETE /api/v1/api-keys/{key_id}"
    revoked = await client.delete(f"/api/v1/api-keys/{rotated.json()['data']['id']}", headers=auth)
    assert revoked.status_code == 200, revoked.text
