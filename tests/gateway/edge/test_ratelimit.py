"""One budget per project across gateway instances, with the headers clients rely on."""

import asyncio
import re
import time

from contracts.embedding import project_audience
from tests.embedding.tokens import claims_for, public_pem, rsa_key, signed


async def within_one_window(seconds_needed: float = 120.0, window: int = 3600) -> None:
    """Budgets are per clock hour: a test that counts one exactly must not straddle 15:00:00."""
    left = window - time.time() % window
    if left < seconds_needed:
        await asyncio.sleep(left + 1)


async def test_two_instances_share_one_budget_exactly(gateway_client, new_project):
    await within_one_window()
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    answers, started = [], time.time()
    for _ in range(30):  # 1,500 requests, 50 at a time, alternating instances
        answers += await asyncio.gather(*[
            (first if i % 2 else second).get("/api/v1/dashboards", headers=project.auth) for i in range(50)])
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 1000
    assert statuses.count(429) == 500
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json() == {"success": False, "error": "rate limit of 1000 requests reached", "code": "RATE_LIMITED"}
    reset = int(limited.headers["X-RateLimit-Reset"])
    wait = int(limited.headers["Retry-After"])
    assert limited.headers["X-RateLimit-Limit"] == "1000" and limited.headers["X-RateLimit-Remaining"] == "0"
    # reset - wait is when the answer was made: inside this test, however slow the machine.
    assert 0 < wait <= 3600 and started - 2 <= reset - wait <= time.time() + 2
    assert limited.headers["RateLimit-Policy"] == '"hourly";q=1000;w=3600'
    assert limited.headers["RateLimit"] == f'"hourly";r=0;t={wait}'
    remaining = sorted(int(a.headers["X-RateLimit-Remaining"]) for a in answers if a.status_code == 200)
    assert remaining == list(range(1000))  # every success took its own slot


async def test_the_budget_stays_exact_with_keys_and_tenant_jwts_remembered_on_both_instances(
        gateway_client, new_project):
    """Each gateway remembers the API key and the verified tenant JWT: neither may skip the budget."""
    await within_one_window()
    first, second = await gateway_client(), await gateway_client()
    project = await new_project()
    signing = rsa_key()
    made = await first.post("/api/v1/jwt-keys", json={"kid": "rs", "alg": "RS256", "public_key_pem": public_pem(signing)},
                            headers=project.auth)  # the budget's first request
    assert made.status_code == 201, made.text
    token = signed(claims_for(project_audience(project.project_id), exp=int(time.time()) + 3600), signing, "RS256", "rs")
    credentials = [project.auth, {"Authorization": f"Bearer {token}"}]
    answers = []
    for round_ in range(30):  # 1,499 more requests, 50 at a time (the last round 49): each instance, each credential
        answers += await asyncio.gather(*[
            (first if i % 2 else second).get("/api/v1/project", headers=credentials[i // 2 % 2])
            for i in range(49 if round_ == 29 else 50)])
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 999 and statuses.count(429) == 500
    remaining = sorted(int(a.headers["X-RateLimit-Remaining"]) for a in answers if a.status_code == 200)
    assert remaining == list(range(999))  # every success took its own slot (the key's registration took 999)
    by_credential = [a.status_code for n, a in enumerate(answers) if n % 50 // 2 % 2 == 1]
    assert 200 in by_credential and 429 in by_credential  # the tenant JWT spent the budget and met its end


async def test_every_answer_carries_the_headers(client, new_project):
    project = await new_project()
    for path in ["/api/v1/project", "/api/v1/dashboards", "/api/v1/nowhere", "/api/v1/metrics?limit=0"]:
        answer = await client.get(path, headers=project.auth)
        assert re.fullmatch(r'"hourly";r=\d+;t=\d+', answer.headers["RateLimit"]), path
        assert answer.headers["X-RateLimit-Limit"] == "1000"


async def test_the_budget_follows_the_plan(gateway_client, new_project):
    await within_one_window(30)
    client = await gateway_client(rate_limits={"free": 3, "premium": 5})
    free, premium = await new_project(plan="free"), await new_project(plan="premium")
    free_statuses = [(await client.get("/api/v1/project", headers=free.auth)).status_code for _ in range(5)]
    premium_statuses = [(await client.get("/api/v1/project", headers=premium.auth)).status_code for _ in range(7)]
    assert free_statuses == [200] * 3 + [429] * 2
    assert premium_statuses == [200] * 5 + [429] * 2
    project = (await client.get("/api/v1/project", headers=premium.auth))
    assert project.status_code == 429


async def test_failed_authentication_is_rate_limited_per_address(gateway_client, new_project):
    await within_one_window(30)
    attacker = await gateway_client(client_address="198.51.100.9", failed_auth_limit=5)
    other = await gateway_client(client_address="198.51.100.10", failed_auth_limit=5)
    bad = {"Authorization": "Bearer dl_live_guessguessguessguessgu000000"}
    statuses = [(await attacker.get("/api/v1/project", headers=bad)).status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    blocked = await attacker.get("/api/v1/project", headers=bad)
    assert blocked.json()["code"] == "RATE_LIMITED" and int(blocked.headers["Retry-After"]) > 0
    assert (await other.get("/api/v1/project", headers=bad)).status_code == 401
    project = await new_project()
    assert (await attacker.get("/api/v1/project", headers=project.auth)).status_code == 200
