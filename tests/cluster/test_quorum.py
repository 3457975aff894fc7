"""Two of three nodes lost: every route answers 503 with Retry-After (never a 500, never a dropped
connection), health says which leaders are missing; one node back and the gateway serves again by
itself, with no restart."""

from __future__ import annotations

import time

import httpx
import pytest

CSV = b"day,sales\n2024-01-01,3\n2024-01-02,5\n2024-01-03,4\n"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def every_route(base: str, key: str) -> list[tuple[str, httpx.Response | Exception]]:
    auth = {"Authorization": f"Bearer {key}"}
    calls = [("GET /project", lambda: httpx.get(f"{base}/api/v1/project", headers=auth, timeout=30)),
             ("GET /dashboards", lambda: httpx.get(f"{base}/api/v1/dashboards", headers=auth, timeout=30)),
             ("POST /generate", lambda: httpx.post(f"{base}/api/v1/dashboards/generate", headers=auth, timeout=30,
                                                   files={"file": ("sales.csv", CSV, "text/csv")})),
             ("GET /webhooks", lambda: httpx.get(f"{base}/api/v1/webhooks", headers=auth, timeout=30)),
             ("GET /dashboards/x/share-links", lambda: httpx.get(
                 f"{base}/api/v1/dashboards/dash_0123456789abcdef0123456789abcdef/share-links", headers=auth,
                 timeout=30)),
             ("wrong key", lambda: httpx.get(f"{base}/api/v1/project", headers={"Authorization": "Bearer dl_live_x"},
                                             timeout=30))]
    answers: list[tuple[str, httpx.Response | Exception]] = []
    for name, call in calls:
        try:
            answers.append((name, call()))
        except httpx.TransportError as error:  # a dropped connection
            answers.append((name, error))
    return answers


def leaders_back(base: str, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        health = httpx.get(f"{base}/api/v1/health", timeout=30).json()["data"]
        if not health["cluster"]["leaderless"]:
            return health
        assert time.monotonic() < deadline, health["cluster"]
        time.sleep(0.5)


def test_quorum_lost_is_503_with_retry_after_and_the_gateway_recovers_by_itself(topology):
    key = topology.project_key()
    topology.start("gateway-1", "gateway")
    topology.wait_until_answering("gateway-1", key)
    base = topology.gateways["gateway-1"]
    assert httpx.get(f"{base}/api/v1/health/live", timeout=5).json()["data"]["status"] == "alive"

    nodes = list(topology.cluster.nodes.values())
    nodes[0].kill()
    nodes[1].kill()
    deadline, wrong, refused = time.monotonic() + 12, [], 0
    while time.monotonic() < deadline:  # rounds over every route, while the cluster has no majority
        for name, answer in every_route(base, key):
            refused += 1
            if isinstance(answer, Exception) or answer.status_code != 503 or "Retry-After" not in answer.headers:
                wrong.append((name, answer if isinstance(answer, Exception) else (answer.status_code, answer.text)))
    assert wrong == [], wrong[:5]
    health = httpx.get(f"{base}/api/v1/health", timeout=30)
    assert health.status_code == 503 and health.headers["Retry-After"], health.text
    assert health.json()["data"]["status"] == "degraded"
    assert "EVENTS" in health.json()["data"]["cluster"]["leaderless"]
    assert "KV_ratelimits" in health.json()["data"]["cluster"]["leaderless"]

    nodes[0].start()  # a majority again
    topology.wait_until_answering("gateway-1", key, seconds=60)
    health = leaders_back(base, seconds=60)
    assert health["status"] == "degraded"  # one node is still away: its replicas are offline
    assert "Traceback" not in topology.log_of("gateway-1")

    metrics = topology.scrape("gateway-1")
    answered = {(s.labels["route"], s.labels["method"], s.labels["status"]): s.value
                for s in metrics["dashloom_http_requests"] if s.name == "dashloom_http_requests_total"}
    # every 503 above was counted (how many rounds fit in the window depends on the machine's load)
    assert refused >= 1 and sum(count for (_, _, status), count in answered.items() if status == "503") >= refused
    assert not any(status.startswith("5") and status != "503" for _, _, status in answered)
    assert answered[("/api/v1/project", "GET", "200")] >= 1
    assert any(s.labels.get("route") == "/api/v1/project" for s in metrics["dashloom_http_request_duration_seconds"])
    assert "dashloom_bus_reconnects" in metrics
