"""While nats-server is away, the gateway answers 503 with Retry-After, never 500, and it comes
back by itself (its connection, the revocation follower, the rate limiter's memory bucket)."""

from __future__ import annotations

import uuid

import pytest

from contracts import ApiKeyRevoked, TenantJwtKeyDeleted
from services.eventlog.connection import BUS_UNAVAILABLE
from services.gateway.embedding.verified_tokens import VerifiedTokens
from services.gateway.keys.credential import ApiKeyAuthenticator
from tests.polling import until

CSV = {"files": {"file": ("sales.csv", b"region,amount\nnorth,1\nsouth,2\n")}}


@pytest.mark.timeout(120)
@pytest.mark.own_nats_server
async def test_the_gateway_answers_503_while_the_bus_is_away_and_recovers(client, new_project, nats_server):
    project = await new_project()
    assert (await client.get("/api/v1/project", headers=project.auth)).status_code == 200
    nats_server.kill()
    try:
        for request in (client.get("/api/v1/project", headers=project.auth),
                        client.get("/api/v1/dashboards", headers=project.auth),
                        client.post("/api/v1/dashboards/generate", headers=project.auth, **CSV),
                        client.get("/api/v1/project", headers={"Authorization": "Bearer dl_live_x"})):
            answer = await request
            assert answer.status_code == 503, answer.text
            assert answer.json() == {"success": False, "error": "the event bus is unavailable; try again shortly",
                                     "code": "SERVICE_UNAVAILABLE"}
            assert int(answer.headers["Retry-After"]) > 0
        health = await client.get("/api/v1/health")
        assert health.status_code == 503 and health.json()["code"] == "SERVICE_UNAVAILABLE"
        assert "Retry-After" in health.headers
    finally:
        nats_server.start()  # same store, same port

    async def serving() -> bool:
        return (await client.get("/api/v1/project", headers=project.auth)).status_code == 200

    assert await until(serving, 30, interval=0.2), "the gateway did not recover by itself"
    answers = [(await client.get("/api/v1/project", headers=project.auth)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert int(answers[-1].headers["X-RateLimit-Remaining"]) < int(answers[0].headers["X-RateLimit-Remaining"])
    revoked = await client.post("/api/v1/api-keys", json={"name": "after"}, headers=project.auth)
    assert revoked.status_code == 201
    key = revoked.json()["data"]
    assert (await client.get("/api/v1/project", headers={"Authorization": f"Bearer {key['key']}"})).status_code == 200
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}", headers=project.auth)).status_code == 200

    answers = []

    async def refused() -> bool:
        answers.append(await client.get("/api/v1/project", headers={"Authorization": f"Bearer {key['key']}"}))
        return answers[-1].status_code == 401

    assert await until(refused, 5), [(a.status_code, a.text[:80]) for a in answers[-3:]]


@pytest.mark.timeout(60)
@pytest.mark.own_nats_server
async def test_the_gateway_follows_key_events_again_within_seconds_of_a_bus_restart(nats_server, nc, store, engine):
    """A revocation or a deleted signing key appended just after the bus came back reaches a gateway's
    followers in seconds, whatever its cache and read model say (nats-py finds a lost ordered
    consumer only when two of its heartbeats are missing)."""
    keys = ApiKeyAuthenticator(engine)
    await keys.follow_revocations(nc)
    tokens = VerifiedTokens()
    await tokens.follow_key_changes(nc)
    nats_server.kill()
    nats_server.start()
    key_id, project_id = uuid.uuid4().hex, uuid.uuid4().hex
    assert await until(lambda: _appended(store, ApiKeyRevoked(project_id=project_id, aggregate_id=key_id,
                                                              payload={"reason": "test"})), 15)
    assert await until(lambda: _appended(store, TenantJwtKeyDeleted(project_id=project_id, payload={"kid": "k1"},
                                                                    aggregate_id=uuid.uuid4().hex)), 5)

    async def followed() -> bool:
        return keys.ended(key_id) and tokens.key_events_seen(project_id) > 0

    assert await until(followed, 6, interval=0.05)


async def _appended(store, event) -> bool:
    """True once the bus, back from its restart, stored the event."""
    try:
        await store.append(event)
    except BUS_UNAVAILABLE:
        return False
    return True
