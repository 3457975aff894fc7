"""Every request: one access-log line (route template, method, status, time; no key, no path, no
address) and the request metrics, parsed as Prometheus parses them."""

from __future__ import annotations

import logging

import orjson
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families


def requests_counted() -> dict[tuple[str, str, str], float]:
    families = text_string_to_metric_families(generate_latest(REGISTRY).decode())
    return {(s.labels["route"], s.labels["method"], s.labels["status"]): s.value
            for family in families if family.name == "dashloom_http_requests"
            for s in family.samples if s.name == "dashloom_http_requests_total"}


async def test_each_request_is_one_line_and_counted_by_its_route_template(client, new_project, caplog):
    project = await new_project()
    before = requests_counted()
    caplog.set_level(logging.INFO, logger="dashloom.access")
    assert (await client.get("/api/v1/project", headers=project.auth)).status_code == 200
    assert (await client.get("/api/v1/dashboards/dash_0123456789abcdef0123456789abcdef?secret=s3cr3t",
                             headers=project.auth)).status_code == 404
    assert (await client.get("/api/v1/project", headers={"Authorization": "Bearer dl_live_nope"})).status_code == 401

    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "dashloom.access"]
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/api/v1/project", 200), ("/api/v1/dashboards/{dashboard_or_tenant_id}", 404), ("unrouted", 401)]
    assert all(set(line) == {"method", "route", "status", "ms"} for line in lines)
    text = caplog.text
    assert project.key.key not in text and "dl_live_nope" not in text and "s3cr3t" not in text
    assert "0123456789abcdef" not in text and "203.0.113.7" not in text

    after = requests_counted()
    for labels in (("/api/v1/project", "GET", "200"), ("/api/v1/dashboards/{dashboard_or_tenant_id}", "GET", "404"),
                   ("unrouted", "GET", "401")):
        assert after[labels] - before.get(labels, 0) == 1, labels
