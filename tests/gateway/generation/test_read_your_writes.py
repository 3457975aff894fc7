"""GET /api/v1/generations/{id} is never behind an event already stored: the websocket and the
webhooks tell stored events, so once they said "completed" this read does too, even while the
gateway's generations projection lags (here: stopped, then started again)."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway.declaration import PROJECTIONS
from services.gateway.generation.projections import generation_status
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.runner import ProjectionRunner, create_read_model_tables
from tests.factories import generation_lifecycle, new_id


class Runners:
    """The gateway's projection runners; the generations one can be stopped and started again."""

    def __init__(self, js, engine) -> None:
        self.js, self.engine = js, engine
        self.stop, self.generations_stop = asyncio.Event(), asyncio.Event()
        self.tasks = [self._run(p, self.stop) for p in PROJECTIONS if p is not generation_status]
        self.generations = self._run(generation_status, self.generations_stop)

    def _run(self, projection, stop: asyncio.Event) -> asyncio.Task:
        return asyncio.create_task(ProjectionRunner(self.js, self.engine, projection, "tests", batch_size=200).run(stop))

    async def pause_generations(self) -> None:
        self.generations_stop.set()
        await asyncio.wait_for(self.generations, 15)

    def resume_generations(self) -> None:
        self.generations_stop = asyncio.Event()
        self.generations = self._run(generation_status, self.generations_stop)

    async def close(self) -> None:
        self.stop.set()
        self.generations_stop.set()
        await asyncio.wait([*self.tasks, self.generations], timeout=15)


@pytest.fixture
async def runners(js, engine):
    create_read_model_tables(engine, *PROJECTIONS)
    running = Runners(js, engine)
    yield running
    await running.close()


@pytest.fixture
async def projections(runners):  # the conftest's fixture of that name, with a generations runner to pause
    yield


async def status_of(client, project, generation_id: str) -> tuple[int, str | None]:
    answer = await client.get(f"/api/v1/generations/{generation_id}", headers=project.auth)
    return answer.status_code, answer.json().get("data", {}).get("status")


async def test_a_stored_outcome_is_read_even_while_the_projection_lags(client, new_project, store, engine, runners):
    project = await new_project()
    generation_id = new_id()
    *steps, outcome = generation_lifecycle(generation_id, project_id=project.project_id)
    for event in steps:
        seq = await store.append(event)
    assert await wait_for_checkpoint(engine, generation_status.name, seq, timeout=10)
    assert await status_of(client, project, generation_id) == (200, "processing")

    await runners.pause_generations()
    await store.append(outcome)  # what the websocket and the webhooks now announce as "completed"
    read = asyncio.create_task(status_of(client, project, generation_id))
    await asyncio.sleep(0.3)  # the read is waiting: the projection has not applied the outcome
    runners.resume_generations()
    assert await read == (200, "completed")


async def test_a_generation_stored_but_not_yet_projected_is_not_a_404(client, new_project, store, runners):
    project = await new_project()
    generation_id = new_id()
    first = generation_lifecycle(generation_id, project_id=project.project_id)[0]
    await runners.pause_generations()
    await store.append(first)
    read = asyncio.create_task(status_of(client, project, generation_id))
    await asyncio.sleep(0.3)
    runners.resume_generations()
    assert await read == (200, "processing")
    stranger = await new_project("Stranger")
    assert await status_of(client, stranger, generation_id) == (404, None)  # another project's: still absent
