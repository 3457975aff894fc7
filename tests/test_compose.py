"""compose.yaml cannot run here (no Docker engine), so each part of it is run as far as a machine allows:
its NATS config as a real 3-node cluster on local ports, the setup job, and every service's command,
with the gateway answering over HTTP (health, and a request with a project's key)."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema_rs
import orjson
import yaml

from services.eventlog.connection import connect
from services.runtime.heartbeats import SERVICES, last_heartbeats
from services.runtime.nats_server import free_port, nats_server_binary
from tests.fixtures.cluster import CLUSTER_CONF, NODES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_yaml_is_valid_by_the_compose_spec_schema():
    """tests/data/compose-spec.json is the Compose Specification's JSON schema (Apache-2.0), as
    docker-compose 1.29.2 ships it (compose/config/compose_spec.json): what `docker compose config`
    checks before it runs anything."""
    schema = orjson.loads((ROOT / "tests" / "data" / "compose-spec.json").read_bytes())
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in jsonschema_rs.validator_for(schema).iter_errors(COMPOSE)]
    assert errors == []
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "gateway": {**COMPOSE["services"]["gateway"],
                                                                         "healthcheck": {"interval": 5}}}}
    assert list(jsonschema_rs.validator_for(schema).iter_errors(broken))  # the schema does check what we wrote


def local_command(command: list[str]) -> list[str]:
    """The container's command, run with this checkout's Python and scripts."""
    scripts = Path(sys.executable).parent
    program = {"python": sys.executable, "dashloom": str(scripts / "dashloom"),
               "nats-server": str(nats_server_binary())}[command[0]]
    return [program, *command[1:]]


def test_every_service_is_deployed_replicated_with_a_command_that_exists():
    services = COMPOSE["services"]
    for name in SERVICES:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert services[name]["deploy"]["replicas"] == 2
        assert (ROOT / "services" / name / "__main__.py").exists()
    assert "ports" not in services["gateway"]  # only the proxy is published
    environment = services["gateway"]["environment"]
    assert environment["DASHLOOM_STREAM_REPLICAS"] == "3"
    assert re.sub(r"\$\{NATS_USER[^}]*\}:\$\{NATS_PASSWORD[^}]*\}@", "", environment["DASHLOOM_NATS_URL"]).split(",") \
        == [f"nats://{n}:4222" for n in NODES]
    assert environment["DASHLOOM_DATABASE_URL"].startswith("postgresql")
    for name in (*SERVICES, "setup"):  # one sealing key for every replica, never one per container
        assert services[name]["environment"]["DASHLOOM_SECRETS_KEY"].startswith("${DASHLOOM_SECRETS_KEY:?")
    assert services["sharing"]["environment"]["DASHLOOM_SMTP_URL"] == "${DASHLOOM_SMTP_URL:-}"
    for node in NODES:
        assert services[node]["command"] == ["nats-server", "-c", "/etc/nats/nats-cluster.conf"]
        assert services[node]["environment"] == {"NATS_SERVER_NAME": node, "NATS_USER": "${NATS_USER:?set NATS_USER}",
                                                 "NATS_PASSWORD": "${NATS_PASSWORD:?set NATS_PASSWORD}"}
        assert "ports" not in services[node]  # clients, routes and the monitor stay inside
    assert "http: 127.0.0.1:8222" in CLUSTER_CONF and "user: $NATS_USER" in CLUSTER_CONF
    assert "sync_interval: always" in CLUSTER_CONF
    assert all(f"nats://{node}:6222" in CLUSTER_CONF for node in NODES)


def test_every_service_has_a_healthcheck_and_metrics_and_the_proxy_is_the_trusted_one():
    services = COMPOSE["services"]
    for name in (*SERVICES, *NODES, "postgres", "proxy"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
    for name in SERVICES:
        assert services[name]["environment"]["DASHLOOM_METRICS_PORT"] == "9464"
    assert "/api/v1/health/live" in services["gateway"]["healthcheck"]["test"][-1]
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy:") and proxy["ports"] == ["8000:80"]
    assert services["gateway"]["environment"]["DASHLOOM_TRUSTED_PROXIES"] == proxy["networks"]["default"]["ipv4_address"]
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy["networks"]["default"]["ipv4_address"]) in ipaddress.ip_network(subnet)
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "name gateway" in caddyfile and "port 8000" in caddyfile


async def stream_replicas(url: str) -> int | None:
    nc = await connect(url, "compose-test")
    info = await nc.jetstream().stream_info("EVENTS")
    await nc.close()
    return info.config.num_replicas


async def beating_services(url: str) -> set[str]:
    nc = await connect(url, "compose-test")
    beats = await last_heartbeats(nc.jetstream())
    await nc.close()
    return {name for name, times in beats.items() if times}


def answered_within(seconds: float, ask, good) -> httpx.Response:
    """Ask until the answer is good or `seconds` pass; answer the last answer either way."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = ask()
            if good(answer) or time.monotonic() > deadline:
                return answer
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the gateway never answered over HTTP"
        time.sleep(0.5)


def interpolated(environment: dict[str, str]) -> dict[str, str]:
    """The environment as compose passes it: `${NAME:?message}` and `${NAME:-default}` filled in; the
    required secrets key is one generated for this run, as an operator's `openssl rand -base64 32`."""
    given = {"DASHLOOM_SECRETS_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}

    def value(match: re.Match) -> str:
        name, kind, rest = match.groups()
        return given.get(name) or os.environ.get(name) or ("" if kind == "?" else rest)
    return {key: re.sub(r"\$\{(\w+):([?-])([^}]*)\}", value, text) for key, text in environment.items()}


def test_the_cluster_the_setup_job_and_every_service_command_start(local_cluster, database_url, tmp_path):
    environment = {**os.environ, **interpolated(COMPOSE["services"]["setup"]["environment"]),
                   "DASHLOOM_NATS_URL": local_cluster.url, "DASHLOOM_DATABASE_URL": database_url,
                   "DASHLOOM_STATE_DIR": str(tmp_path / "state"), "DASHLOOM_HEARTBEAT_SECONDS": "0.5",
                   "DASHLOOM_HTTP_PORT": str(free_port()), "DASHLOOM_HTTP_HOST": "127.0.0.1",
                   "DASHLOOM_METRICS_PORT": "0"}  # four services on one machine: no shared metrics port
    deadline = time.monotonic() + 60
    while True:  # compose's restart: on-failure, until the cluster has elected its JetStream leader
        setup = subprocess.run(local_command(COMPOSE["services"]["setup"]["command"]), env=environment,
                               capture_output=True, text=True)
        if setup.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert setup.returncode == 0, setup.stderr
    assert asyncio.run(stream_replicas(local_cluster.url)) == 3

    created = subprocess.run(local_command(["dashloom", "projects", "create", "--name", "compose"]), env=environment,
                             capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    key = next(line.split(": ", 1)[1] for line in created.stdout.splitlines() if line.startswith("api_key: "))

    services = [subprocess.Popen(local_command(COMPOSE["services"][name]["command"]), env=environment)
                for name in SERVICES]
    try:
        deadline = time.monotonic() + 40
        while asyncio.run(beating_services(local_cluster.url)) != set(SERVICES):
            assert time.monotonic() < deadline, "not every service started"
            assert all(s.poll() is None for s in services), "a service exited"
            time.sleep(0.5)
        gateway = f"http://127.0.0.1:{environment['DASHLOOM_HTTP_PORT']}"
        health = answered_within(30, lambda: httpx.get(f"{gateway}/api/v1/health", timeout=5),
                                 lambda answer: answer.json()["data"]["status"] == "ok")
        assert health.status_code == 200, health.text
        project = answered_within(30, lambda: httpx.get(f"{gateway}/api/v1/project", timeout=5,
                                                        headers={"Authorization": f"Bearer {key}"}),
                                  lambda answer: answer.status_code == 200)  # once the gateway's projection has it
        assert project.json()["data"]["name"] == "compose"
        refused = httpx.get(f"{gateway}/api/v1/project", headers={"Authorization": "Bearer dl_live_wrong"}, timeout=5)
        assert refused.status_code == 401
    finally:
        for service in services:
            service.terminate()
        for service in services:
            assert service.wait(20) == 0
