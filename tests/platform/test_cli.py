"""The operator's commands, run as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from contracts import EVENT_TYPES
from services.gateway.generation.projections import generation_status
from services.gateway.keys.format import is_well_formed, key_digest
from services.gateway.keys.projections import project_access
from services.readmodels.runner import create_read_model_tables
from tests.factories import many_generations
from tests.readmodels.running import all_rows, caught_up, running


def dashloom(*args: str, nats_url: str, database_url: str, env_extra: dict[str, str] | None = None,
             **kwargs) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DASHLOOM_NATS_URL": nats_url, "DASHLOOM_DATABASE_URL": database_url,
                   "COLUMNS": "200", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "services.platform", *args], env=environment,
                          capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
async def log_of_40_generations(store):
    await store.append_many(many_generations(40))  # 280 events


async def test_status_shows_checkpoints_and_lag(nats_server, js, engine, database_url, log_of_40_generations):
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, 280)
    result = dashloom("replay", "status", nats_url=nats_server.url, database_url=database_url)
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") >= 4}
    assert [cell.strip() for cell in lines["generations"].split("│")[1:5]] == ["generations", "280", "280", "0"]
    assert [cell.strip() for cell in lines["share_links"].split("│")[1:5]] == ["share_links", "0", "280", "280"]


async def test_rebuild_all_reports_and_swaps(nats_server, js, engine, database_url, log_of_40_generations):
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, 280)
    live = all_rows(engine, generation_status)
    result = dashloom("replay", "rebuild", "--all", nats_url=nats_server.url, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "generations: 280 events up to seq 280" in result.stderr
    assert "matches live: True" in result.stderr
    assert all_rows(engine, generation_status) == live
    create_read_model_tables(engine, project_access)
    with engine.connect() as conn:
        assert {"projects", "api_keys", "share_links"} <= set(inspect(conn).get_table_names())


async def test_rebuild_written_by_a_second_process_from_the_command_line(nats_server, js, engine, database_url,
                                                                         log_of_40_generations):
    """The writer process is spawned from `python -m services.platform`: it imports the projection anew."""
    async with running(js, engine, generation_status):
        await caught_up(engine, generation_status, 280)
    live = all_rows(engine, generation_status)
    result = dashloom("replay", "rebuild", "generations", nats_url=nats_server.url, database_url=database_url,
                      env_extra={"DASHLOOM_REBUILD_WRITER_PROCESS_FROM": "0"})
    assert result.returncode == 0, result.stderr
    assert "generations: 280 events up to seq 280" in result.stderr
    assert "(written by a second process)" in result.stderr and "matches live: True" in result.stderr
    assert all_rows(engine, generation_status) == live


async def test_rebuild_refuses_an_unknown_projection(nats_server, database_url, log_of_40_generations):
    result = dashloom("replay", "rebuild", "nonsense", nats_url=nats_server.url, database_url=database_url)
    assert result.returncode != 0
    assert "unknown projection" in result.stderr


async def test_export_writes_every_event_as_json_lines(nats_server, database_url, tmp_path, log_of_40_generations):
    out = tmp_path / "events.jsonl"
    result = dashloom("events", "export", "--jsonl", "-o", str(out), nats_url=nats_server.url,
                      database_url=database_url)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 281))
    assert lines[0]["event"]["type"] == "DashboardRequested"
    assert lines[0]["subject"] == f"events.generation.{lines[0]['event']['aggregate_id']}"


async def test_tail_shows_the_newest_events(nats_server, database_url, log_of_40_generations):
    result = dashloom("events", "tail", "-n", "3", nats_url=nats_server.url, database_url=database_url)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert [int(row.split()[0]) for row in rows] == [278, 279, 280]
    assert rows[-1].split()[3] in {"GenerationCompleted", "GenerationFailed"}


async def test_projects_create_prints_a_working_first_key_once(nats_server, store, database_url):
    result = dashloom("projects", "create", "--name", "Acme", "--plan", "premium", nats_url=nats_server.url,
                      database_url=database_url)
    assert result.returncode == 0, result.stderr
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert is_well_formed(printed["api_key"])
    assert "not shown again" in result.stderr
    created, issued = [e.event for e in await store.load("project", printed["project_id"])] + \
        [e.event for e in await store.load("apikey", printed["key_id"])]
    assert created.payload.name == "Acme" and created.payload.plan == "premium"
    assert issued.payload.key_sha256 == key_digest(printed["api_key"]) and "admin" in issued.payload.scopes
    assert printed["api_key"] not in (await store.load("apikey", printed["key_id"]))[0].data.decode()


def test_events_asyncapi_prints_the_document_of_every_event_type():
    result = subprocess.run([sys.executable, "-m", "services.platform", "events", "asyncapi"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)["channels"]) == set(EVENT_TYPES)
