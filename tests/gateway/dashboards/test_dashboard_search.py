"""GET /api/v1/dashboards narrowed as the console's list asks: a title search (any case, `%` and
`_` taken literally) with the tenant and workspace filters, paged; never another project's rows."""

from __future__ import annotations

from contracts import GenerationCompleted
from services.readmodels.consistency import wait_for_checkpoint
from tests.factories import generation_lifecycle, new_id


def dashboard_events(project_id: str, title: str, tenant: str | None = None, workspace: str | None = None):
    generation_id = new_id()
    events = generation_lifecycle(generation_id, project_id=project_id)
    events[0].payload.tenant_id, events[0].payload.workspace_id = tenant, workspace
    done = events[-1]
    assert isinstance(done, GenerationCompleted)
    done.payload.title = title
    return events


async def test_search_with_the_tenant_and_workspace_filters_pages_within_the_project(client, new_project, store, engine):
    mine, theirs = await new_project("mine"), await new_project("theirs")
    events = [*dashboard_events(mine.project_id, "Q1 Sales", "acme", "eu"),
              *dashboard_events(mine.project_id, "q2 sales", "acme", "us"),
              *dashboard_events(mine.project_id, "Churn 100%", "globex", "eu"),
              *dashboard_events(theirs.project_id, "Their sales", "acme", "eu")]
    assert await wait_for_checkpoint(engine, "generations", (await store.append_many(events))[-1], timeout=10)

    async def titles(**query) -> tuple[list[str], int]:
        answer = await client.get("/api/v1/dashboards", headers=mine.auth, params=query)
        assert answer.status_code == 200, answer.text
        return sorted(d["title"] for d in answer.json()["data"]), answer.json()["pagination"]["total"]

    assert await titles() == (["Churn 100%", "Q1 Sales", "q2 sales"], 3)
    assert await titles(search="SALES") == (["Q1 Sales", "q2 sales"], 2)
    assert await titles(search="%") == (["Churn 100%"], 1)  # a literal percent sign, not a wildcard
    assert await titles(search="_") == ([], 0)
    assert await titles(tenant_id="acme") == (["Q1 Sales", "q2 sales"], 2)
    assert await titles(tenant_id="acme", workspace_id="eu") == (["Q1 Sales"], 1)
    assert await titles(workspace_id="eu", limit=1, offset=1) in ((["Churn 100%"], 2), (["Q1 Sales"], 2))
    assert await titles(search="their") == ([], 0)


async def test_the_search_is_bounded(client, new_project):
    project = await new_project()
    for query in ({"search": "x" * 201}, {"search": "a\x00b"}):
        answer = await client.get("/api/v1/dashboards", headers=project.auth, params=query)
        assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_ERROR"), query
