"""While nats-server is away, the gateway answers 503 with Retry-After, never 500, and it comes
back by itself (its connection, the revocation follower, the rate limiter's memory bucket)."""

from __future__ import annotations

import pytest

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

    async def refused() -> bool:
        answer = await client.get("/api/v1/project", headers={"Authorization": f"Bearer {key['key']}"})
        return answer.status_code == 401

    assert await until(refused, 5)
