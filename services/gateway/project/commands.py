"""A new project, as events appended to the log: ProjectCreated, then its first (admin) key."""

from __future__ import annotations

from contracts import ProjectCreated
from services.eventlog.store import EventStore
from services.gateway.keys.commands import IssuedKey, issue_api_key, new_id

FIRST_KEY_SCOPES = ["admin", "read", "write", "embed"]


async def create_project(store: EventStore, name: str, plan: str) -> tuple[str, IssuedKey]:
    project_id = new_id()
    created = ProjectCreated(project_id=project_id, aggregate_id=project_id, payload={"name": name, "plan": plan})
    await store.append(created, expected_last_seq=0)
    return project_id, await issue_api_key(store, project_id, "first key", FIRST_KEY_SCOPES)
