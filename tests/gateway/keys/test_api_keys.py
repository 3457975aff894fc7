"""The key lifecycle through the API: create, use, list, rotate with grace, revoke everywhere."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from contracts import ApiKeyIssued, ApiKeyRotated
from services.eventlog.store import EventStore
from services.gateway.keys.commands import revoke_api_key, rotate_api_key
from services.gateway.keys.models import api_keys
from services.readmodels.consistency import wait_for_checkpoint


async def test_create_shows_the_key_once_and_it_works(client, new_project):
    project = await new_project()
    created = await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=project.auth)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["key"].startswith("dl_live_") and data["prefix"] == data["key"][:12]
    assert data["scopes"] == ["read", "write"] and data["status"] == "active"

    me = await client.get("/api/v1/project", headers={"Authorization": f"Bearer {data['key']}"})
    assert me.status_code == 200 and me.json()["data"]["id"] == project.project_id

    listed = (await client.get("/api/v1/api-keys", headers=project.auth)).json()["data"]
    assert {k["id"] for k in listed} == {project.key.key_id, data["id"]}
    assert all("key" not in k for k in listed)
    used = next(k for k in listed if k["id"] == data["id"])
    assert used["last_used_at"] is not None


async def test_the_database_holds_no_usable_key(client, new_project, engine):
    project = await new_project()
    key = (await client.post("/api/v1/api-keys", json={"name": "x"}, headers=project.auth)).json()["data"]["key"]
    with engine.connect() as conn:
        stored = [" ".join(map(str, row)) for row in conn.execute(select(api_keys))]
    secret_part = key[12:]  # everything past the displayed prefix
    assert not any(secret_part[i:i + 8] in text for text in stored for i in range(len(secret_part) - 8))


async def test_rotation_keeps_the_old_key_for_its_grace_period(client, new_project):
    project = await new_project()
    old = (await client.post("/api/v1/api-keys", json={"name": "svc", "scopes": ["read"]},
                             headers=project.auth)).json()["data"]
    rotated = await client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_period_hours": 24},
                                headers=project.auth)
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()["data"]
    assert new["key"] != old["key"] and new["scopes"] == ["read"] and new["name"] == "svc"
    for key in (old["key"], new["key"]):
        assert (await client.get("/api/v1/dashboards", headers={"Authorization": f"Bearer {key}"})).status_code == 200
    listed = {k["id"]: k for k in (await client.get("/api/v1/api-keys", headers=project.auth)).json()["data"]}
    assert listed[old["id"]]["status"] == "expiring" and listed[old["id"]]["replaced_by"] == new["id"]
    again = await client.post(f"/api/v1/api-keys/{old['id']}/rotate", headers=project.auth)
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"


async def test_rotation_without_grace_ends_the_old_key_at_once(client, new_project):
    project = await new_project()
    old = (await client.post("/api/v1/api-keys", json={"name": "svc"}, headers=project.auth)).json()["data"]
    assert (await client.get("/api/v1/project", headers={"Authorization": f"Bearer {old['key']}"})).status_code == 200
    await client.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_period_hours": 0}, headers=project.auth)
    refused = await client.get("/api/v1/project", headers={"Authorization": f"Bearer {old['key']}"})
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"


async def test_revocation_is_immediate_on_another_gateway_instance(gateway_client, new_project):
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    victim = (await first.post("/api/v1/api-keys", json={"name": "leaked"}, headers=project.auth)).json()["data"]
    victim_auth = {"Authorization": f"Bearer {victim['key']}"}
    assert (await second.get("/api/v1/project", headers=victim_auth)).status_code == 200  # now cached there
    revoked = await first.delete(f"/api/v1/api-keys/{victim['id']}", headers=project.auth)
    assert revoked.status_code == 200 and revoked.json()["data"]["status"] == "revoked"
    refused = await second.get("/api/v1/project", headers=victim_auth)
    assert refused.status_code == 401
    assert (await first.delete(f"/api/v1/api-keys/{victim['id']}", headers=project.auth)).status_code == 404


async def test_key_management_needs_the_admin_scope(client, new_project):
    project = await new_project()
    reader = (await client.post("/api/v1/api-keys", json={"name": "r", "scopes": ["read"]},
                                headers=project.auth)).json()["data"]
    forbidden = await client.post("/api/v1/api-keys", json={"name": "escalate", "scopes": ["admin"]},
                                  headers={"Authorization": f"Bearer {reader['key']}"})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "FORBIDDEN"


async def test_another_projects_keys_are_not_found(client, new_project):
    mine, theirs = await new_project("mine"), await new_project("theirs")
    for method, path in [("DELETE", f"/api/v1/api-keys/{theirs.key.key_id}"),
                         ("POST", f"/api/v1/api-keys/{theirs.key.key_id}/rotate")]:
        answer = await client.request(method, path, headers=mine.auth)
        assert answer.status_code == 404 and answer.json() == {
            "success": False, "error": "no such API key", "code": "NOT_FOUND"}
    assert (await client.get("/api/v1/project", headers=theirs.auth)).status_code == 200


async def test_bad_keys_are_refused(client, new_project):
    project = await new_project()
    typo = project.key.key[:-1] + ("A" if project.key.key[-1] != "A" else "B")
    for headers in [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {project.key.key}"},
                    {"Authorization": f"Bearer {typo}"}]:
        answer = await client.get("/api/v1/project", headers=headers)
        assert answer.status_code == 401 and answer.json()["code"] == "UNAUTHORIZED"
        assert answer.headers["WWW-Authenticate"] == "Bearer"


async def test_concurrent_rotations_of_one_key_make_exactly_one_successor(gateway_client, new_project, store):
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    old = (await first.post("/api/v1/api-keys", json={"name": "svc"}, headers=project.auth)).json()["data"]
    answers = await asyncio.gather(*[
        gateway.post(f"/api/v1/api-keys/{old['id']}/rotate", json={"grace_period_hours": 1}, headers=project.auth)
        for gateway in [first, second] * 4])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7, [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 201).json()["data"]

    logged = [e.event async for batch in store.reader.batches() for e in batch]
    successors = [e.payload.new_key_id for e in logged if isinstance(e, ApiKeyRotated) and e.aggregate_id == old["id"]]
    assert successors == [winner["id"]], "a losing rotation left a key in the log"
    assert sum(isinstance(e, ApiKeyIssued) for e in logged) == 2  # the project's first key and `old`
    listed = (await first.get("/api/v1/api-keys", headers=project.auth)).json()["data"]
    assert {k["id"] for k in listed} == {project.key.key_id, old["id"], winner["id"]}
    assert (await second.get("/api/v1/project", headers={"Authorization": f"Bearer {winner['key']}"})).status_code == 200


class CrashAfterOneAppend(EventStore):
    """A gateway that dies after its first append: what a crash in the middle of a command leaves."""

    def __init__(self, js) -> None:
        super().__init__(js)
        self.appended = 0

    async def append(self, event, expected_last_seq=None) -> int:
        if self.appended:
            raise RuntimeError("the process died here")
        self.appended += 1
        return await super().append(event, expected_last_seq)


async def test_a_rotation_is_one_append_and_its_successor_works_from_it(client, new_project, js, engine):
    project = await new_project()
    old = (await client.post("/api/v1/api-keys", json={"name": "svc"}, headers=project.auth)).json()["data"]
    crashing = CrashAfterOneAppend(js)
    successor, _ = await rotate_api_key(crashing, project.project_id, old["id"], timedelta(hours=1))
    assert crashing.appended == 1
    assert await wait_for_checkpoint(engine, "projects", successor.seq, timeout=10)

    as_successor = {"Authorization": f"Bearer {successor.key}"}
    assert (await client.get("/api/v1/project", headers=as_successor)).status_code == 200
    listed = {k["id"]: k for k in (await client.get("/api/v1/api-keys", headers=project.auth)).json()["data"]}
    assert listed[old["id"]]["status"] == "expiring" and listed[old["id"]]["replaced_by"] == successor.key_id
    assert listed[successor.key_id]["status"] == "active" and listed[successor.key_id]["name"] == "svc"
    # A key born in a rotation is a key like any other: rotated in turn, then revoked.
    again = await client.post(f"/api/v1/api-keys/{successor.key_id}/rotate", headers=project.auth)
    assert again.status_code == 201, again.text
    third = again.json()["data"]
    assert (await client.delete(f"/api/v1/api-keys/{third['id']}", headers=project.auth)).status_code == 200
    assert (await client.get("/api/v1/project", headers={"Authorization": f"Bearer {third['key']}"})).status_code == 401
    assert (await client.post(f"/api/v1/api-keys/{successor.key_id}/rotate", headers=project.auth)).status_code == 409


class NoScans(EventStore):
    """A store that refuses to read every rotation: the predecessor's own events must do."""

    def __init__(self, js) -> None:
        super().__init__(js)
        reader_batches = self.reader.batches

        def batches(**options):
            assert not (options.get("subject") or "").endswith(".>"), "read every rotation"
            return reader_batches(**options)

        self.reader.batches = batches  # type: ignore[method-assign]


async def test_a_rotation_born_key_is_found_through_its_predecessor_without_reading_every_rotation(
        client, new_project, js, engine):
    project = await new_project()
    old = (await client.post("/api/v1/api-keys", json={"name": "svc"}, headers=project.auth)).json()["data"]
    successor, _ = await rotate_api_key(EventStore(js), project.project_id, old["id"], timedelta(hours=1))
    third, _ = await rotate_api_key(NoScans(js), project.project_id, successor.key_id, timedelta(hours=1),
                                    predecessor=old["id"])
    assert third.key_id != successor.key_id
    # a wrong hint costs a scan, never a wrong answer
    revoked = await revoke_api_key(EventStore(js), project.project_id, third.key_id, predecessor=old["id"])
    assert revoked > third.seq
