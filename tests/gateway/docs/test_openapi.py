"""The OpenAPI spec declares what the API does, and a real gateway process keeps to it (schemathesis)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from sqlalchemy import select

from contracts.sharing_commands import GetLink
from contracts.webhook_commands import DeleteEndpoint
from services.gateway.declaration import PROJECTIONS
from services.gateway.project.commands import create_project
from services.readmodels.checkpoints import parked_events
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.runner import create_read_model_tables
from services.runtime.nats_server import free_port
from tests.factories import many_generations
from tests.platform.test_cli import dashloom

API_ROUTES = ["/api/v1/project", "/api/v1/dashboards", "/api/v1/metrics", "/api/v1/integrations",
              "/api/v1/api-keys"]


async def test_the_spec_declares_envelope_codes_and_headers(client):
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    assert schemas["Failure"]["properties"]["code"]["enum"] == [
        "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT", "GONE",
        "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_ERROR", "RATE_LIMITED", "SERVER_ERROR",
        "SERVICE_UNAVAILABLE"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path in API_ROUTES:
        operation = spec["paths"][path]["get"]
        for status in ("401", "404", "422", "429", "500"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Failure"}, (path, status)
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Policy",
                "RateLimit"} <= set(operation["responses"]["200"]["headers"]), path
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    dashboards = spec["paths"]["/api/v1/dashboards"]["get"]["responses"]["200"]["content"]["application/json"]
    assert dashboards["schema"]["$ref"].endswith("DashboardPage")
    assert {"data", "pagination", "total"} <= set(schemas["DashboardPage"]["properties"])
    assert (await client.get("/docs")).status_code == 200


async def test_every_answer_is_typed_with_its_own_media_type(client):
    spec = (await client.get("/openapi.json")).json()
    generate = spec["paths"]["/api/v1/dashboards/generate"]["post"]
    answers = {status: generate["responses"][status]["content"] for status in ("200", "202")}
    assert answers == {"200": {"application/json": {"schema": {"$ref": "#/components/schemas/Success_GenerationCompleted_"}}},
                       "202": {"application/json": {"schema": {"$ref": "#/components/schemas/Success_GenerationAccepted_"}}}}
    assert "generation_id" in spec["components"]["schemas"]["GenerationAccepted"]["required"]
    assert {p["name"] for p in generate["parameters"] if p["in"] == "header"} == {"Idempotency-Key", "Prefer"}
    dashboard = "/api/v1/dashboards/{dashboard_id}"
    assert set(spec["paths"][f"{dashboard}/view"]["get"]["responses"]["200"]["content"]) == {"text/html"}
    assert set(spec["paths"][f"{dashboard}/pdf"]["get"]["responses"]["200"]["content"]) == {"application/pdf"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media_type, content in answer.get("content", {}).items():
                    assert content.get("schema"), (method, path, status, media_type)  # never an empty schema
                    assert "HTTPValidationError" not in str(content), (method, path, status)


@pytest.fixture
async def gateway_process(nats_server, nc, store, engine, database_url, tmp_path):
    """A real gateway service process, and the webhooks and sharing services its webhook and
    share-link routes ask, with a project and some dashboards in its read models."""
    create_read_model_tables(engine, *PROJECTIONS)
    project_id, key = await create_project(store, "Schemathesis", "premium")
    await store.append_many(many_generations(12))
    port = free_port()
    environment = {**os.environ, "DASHLOOM_NATS_URL": nats_server.url, "DASHLOOM_DATABASE_URL": database_url,
                   "DASHLOOM_HTTP_PORT": str(port), "DASHLOOM_STATE_DIR": str(tmp_path / "state"),
                   "DASHLOOM_RATE_LIMITS": '{"free": 100000, "premium": 100000}',
                   # schemathesis sends no credential on purpose (ignored_auth) many times from one address
                   "DASHLOOM_FAILED_AUTH_LIMIT": "100000",
                   "DASHLOOM_GENERATION_SYNC_SECONDS": "0"}  # no worker runs: an upload answers 202 at once
    process = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=environment)
    webhooks = subprocess.Popen([sys.executable, "-m", "services.webhooks"], env=environment)
    sharing = subprocess.Popen([sys.executable, "-m", "services.sharing"], env=environment)
    try:
        await commands_answer(nc, DeleteEndpoint.subject, b'{"project_id": "-", "endpoint_id": "-"}')
        await commands_answer(nc, GetLink.subject, b"{}")
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "gateway did not start"
            time.sleep(0.2)
        assert await wait_for_checkpoint(engine, "projects", key.seq, timeout=20)
        yield f"http://127.0.0.1:{port}", key.key
    finally:
        for service in (process, webhooks, sharing):
            service.terminate()
            service.wait(15)


async def commands_answer(nc, subject: str, request: bytes, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await nc.request(subject, request, timeout=1)
            return
        except (NoRespondersError, NatsTimeout):
            assert time.monotonic() < deadline, f"no service answers {subject}"
            await asyncio.sleep(0.2)


@pytest.mark.timeout(1500)  # a hang guard: on a shared 2-core machine one run takes 7 to 12 minutes
async def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_spec(gateway_process, tmp_path, engine,
                                                                                store, nats_server, database_url):
    """Every check (`--checks all`): no 5xx, every answer as documented, the `Allow` of a 405 as the
    document says, no schema-valid request refused for a reason the schema could have said
    (schemathesis.toml lists the ones it cannot), no schema-invalid one accepted. Then what it
    stored, any text in every field and path id, parks nothing and rebuilds (`replay rebuild --all`)."""
    base_url, key = gateway_process
    result = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "st"), "--config-file", str(Path(__file__).parent / "schemathesis.toml"),
         "run", f"{base_url}/openapi.json",
         "--checks", "all",
         # Revoking or rotating (grace 0) the very key the run uses would turn the rest of it
         # into 401s; those two operations have their own tests (test_api_keys.py).
         # Test sends and redeliveries would POST to the URLs schemathesis invents (hosts off this
         # machine); tests/webhooks covers both against a local receiver.
         "--exclude-path-regex", "^/api/v1/api-keys/|/test$|/redeliver$",
         "--max-examples", "25", "--seed", "1", "--request-timeout", "10",
         "-H", f"Authorization: Bearer {key}"],
        capture_output=True, text=True, timeout=1380, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout.lower()
    assert "Rate limited" not in result.stdout and "Authentication failed" not in result.stdout, result.stdout[-3000:]
    last = await store.last_sequence()
    for projection in PROJECTIONS:
        assert await wait_for_checkpoint(engine, projection.name, last, timeout=60), projection.name
    with engine.connect() as conn:
        assert conn.execute(select(parked_events)).all() == []
    rebuilt = await asyncio.to_thread(dashloom, "replay", "rebuild", "--all", nats_url=nats_server.url,
                                      database_url=database_url)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]


async def test_the_events_asyncapi_document_is_served_without_a_key(client):
    answer = await client.get("/asyncapi.json")
    assert answer.status_code == 200 and "Authorization" not in answer.request.headers
    document = answer.json()
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["GenerationCompleted"]["address"] == "events.generation.{aggregate_id}"
