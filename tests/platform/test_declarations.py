"""Each service declares itself once; the platform refuses declarations that claim the same thing twice."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table

from services.platform.declarations import (
    SERVICES,
    DeclarationConflict,
    checked,
    commands_by_subject,
    projections_by_name,
    table_owners,
)
from services.platform.up import Platform
from services.readmodels.projection import Projection
from services.runtime.heartbeats import SERVICES as HEALTH_SERVICES
from services.runtime.service import ServiceDeclaration
from services.runtime.settings import Settings

SERVICES_ROOT = Path(__file__).resolve().parents[2] / "services"


def by_name(name: str) -> ServiceDeclaration:
    return next(service for service in SERVICES if service.name == name)


def test_every_service_package_is_declared_and_health_lists_the_same():
    runnable = sorted(p.parent.name for p in SERVICES_ROOT.glob("*/__main__.py") if p.parent.name != "platform")
    assert [service.name for service in SERVICES] == runnable == ["gateway", "generation", "sharing", "webhooks"]
    assert list(HEALTH_SERVICES) == runnable


def test_declared_tasks_resolve_to_coroutine_functions():
    for service in SERVICES:
        tasks = service.resolved_tasks()
        assert tasks and all(asyncio.iscoroutinefunction(task) for task in tasks), service.name


def test_the_real_declarations_keep_the_rules():
    assert checked(SERVICES) == SERVICES
    owners = table_owners(SERVICES)
    assert owners["api_keys"] == "gateway" and owners["webhook_deliveries"] == "webhooks"
    assert owners["share_link_keys"] == "sharing"  # personal data, outside the projections
    assert commands_by_subject(SERVICES)["commands.sharing.issue"] == "sharing"


def test_two_projections_with_one_name_are_refused():
    sharing = by_name("sharing")
    twin = Projection("generations", *sharing.tables[:1])
    clash = dataclasses.replace(sharing, projections=(*sharing.projections, twin))
    with pytest.raises(DeclarationConflict, match="two projections named 'generations'"):
        projections_by_name([by_name("gateway"), clash])


def test_a_projection_writing_another_services_table_is_refused():
    gateway_table = next(t for t in by_name("gateway").tables if t.name == "api_keys")
    intruder = dataclasses.replace(by_name("sharing"),
                                   projections=(Projection("stolen_keys", gateway_table),))
    with pytest.raises(DeclarationConflict, match="writes 'api_keys', owned by gateway"):
        table_owners([by_name("gateway"), intruder])


def test_a_table_declared_by_two_services_is_refused():
    copy = Table("share_links", MetaData(), Column("link_id", String(64), primary_key=True))
    greedy = dataclasses.replace(by_name("webhooks"), tables=(*by_name("webhooks").tables, copy))
    with pytest.raises(DeclarationConflict, match="'share_links' is declared by sharing and by webhooks"):
        table_owners([by_name("sharing"), greedy])


def test_a_command_answered_by_two_services_is_refused():
    echo = dataclasses.replace(by_name("webhooks"), commands=("commands.sharing.issue",))
    with pytest.raises(DeclarationConflict, match="answered by sharing and by webhooks"):
        commands_by_subject([by_name("sharing"), echo])


def test_up_refuses_conflicting_declarations_before_starting_anything(tmp_path):
    gateway = by_name("gateway")
    clash = dataclasses.replace(by_name("sharing"), projections=gateway.projections[:1])
    platform = Platform(Settings(state_dir=tmp_path / "state"), [gateway, clash])
    with pytest.raises(DeclarationConflict):
        platform.start()
    assert platform.nats is None and platform.children == {}
    assert not (tmp_path / "state").exists()
