"""Random lengths, Unicode, control characters and huge numbers in every field of every route,
on PostgreSQL: no answer is a 500, and after each request every projection has caught up with
nothing parked (issue 11). Hypothesis draws the inputs; a real worker generates the dashboards.

Each example makes one field wild (or none, or all) and the others plain, so that most requests
pass the edge and reach the log, the worker and the projections.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.gateway.declaration import PROJECTIONS
from services.readmodels.checkpoints import parked_events
from services.readmodels.consistency import wait_for_checkpoint
from tests.platform.test_cli import dashloom

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

characters = st.characters(exclude_categories=["Cs"])  # lone surrogates cannot be sent as UTF-8
wild_text = st.one_of(st.text(characters, max_size=12), st.text(characters, min_size=190, max_size=260),
                      st.text(characters, min_size=1000, max_size=3000),
                      st.sampled_from(["", "\x00", "a\x1b[31m", "line\nbreak", "😀" * 300]))
plain_text = st.text(st.characters(categories=["L", "N", "Zs", "P", "S"]), min_size=1, max_size=40)
wild_number = st.one_of(st.integers(-2 ** 70, 2 ** 70), st.floats(), st.booleans(), st.text(characters, max_size=8),
                        st.none())
wild_query_number = st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str), st.text(characters, max_size=30))
SCOPES = ["read", "write", "admin"]


class Fields:
    """Draws each named field plain, except the one chosen to be wild (or all of them, or none)."""

    def __init__(self, data, *names: str) -> None:
        self.data = data
        self.wild = data.draw(st.sampled_from([None, "all", *names]), label="wild field")

    def __call__(self, name: str, plain, wild):
        return self.data.draw(wild if self.wild in (name, "all") else plain, label=name)


@pytest.fixture
async def project(new_project):
    return await new_project(plan="premium")


@pytest.fixture
async def api(gateway_client):
    return await gateway_client(rate_limits={"free": 10 ** 6, "premium": 10 ** 6})


async def caught_up_with_nothing_parked(engine, store) -> None:
    last = await store.last_sequence()
    for projection in PROJECTIONS:
        assert await wait_for_checkpoint(engine, projection.name, last, timeout=15), projection.name
    with engine.connect() as conn:
        assert conn.execute(select(parked_events)).all() == []


def answered(answer) -> None:
    assert answer.status_code < 500, answer.text
    if answer.headers.get("content-type", "").startswith("application/json"):
        assert answer.json()["success"] is (answer.status_code < 400)


@EXAMPLES
@given(data=st.data())
async def test_uploads_with_any_fields(api, project, worker, engine, store, data):  # noqa: F811
    field = Fields(data, "title", "tenant_id", "workspace_id", "column", "key", "flag")
    column = field("column", plain_text, wild_text).replace('"', '""')
    key = field("key", st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
                st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), min_size=1, max_size=400))
    csv = f'date,"{column}"\n2024-01-01,1\n2024-01-02,2\n2024-01-03,5\n'.encode()
    answer = await api.post(
        "/api/v1/dashboards/generate", headers={**project.auth, "Idempotency-Key": key.encode("latin-1")},
        files={"file": ("data.csv", csv, "text/csv")},
        data={name: field(name, plain_text, wild_text) for name in ("title", "tenant_id", "workspace_id")}
        | {"allow_pdf_export": field("flag", st.sampled_from(["true", "no"]), wild_text)})
    answered(answer)
    await caught_up_with_nothing_parked(engine, store)
    if answer.status_code == 200:
        answered(await api.get("/api/v1/metrics", headers=project.auth))


@EXAMPLES
@given(data=st.data())
async def test_api_keys_with_any_fields(api, project, engine, store, data):
    field = Fields(data, "name", "scopes", "expires", "grace")
    created = await api.post("/api/v1/api-keys", headers=project.auth, json={
        "name": field("name", plain_text, wild_text),
        "scopes": field("scopes", st.lists(st.sampled_from(SCOPES), min_size=1, max_size=3, unique=True),
                        st.lists(st.one_of(st.sampled_from(SCOPES), wild_text), max_size=5)),
        "expires_in_days": field("expires", st.integers(1, 3650), wild_number)})
    answered(created)
    if created.status_code == 201:
        key_id = created.json()["data"]["id"]
        answered(await api.post(f"/api/v1/api-keys/{key_id}/rotate", headers=project.auth,
                                json={"grace_period_hours": field("grace", st.integers(0, 720), wild_number)}))
        answered(await api.delete(f"/api/v1/api-keys/{key_id}", headers=project.auth))
    await caught_up_with_nothing_parked(engine, store)


@EXAMPLES
@given(data=st.data())
async def test_reads_with_any_parameters(api, project, engine, store, data):
    field = Fields(data, "metric_id", "start", "end", "limit", "offset", "resource")
    pages = {"limit": field("limit", st.integers(1, 1000).map(str), wild_query_number),
             "offset": field("offset", st.integers(0, 100).map(str), wild_query_number)}
    metrics = {"metric_id": field("metric_id", plain_text, wild_text),
               "start_date": field("start", st.dates().map(str), wild_text),
               "end_date": field("end", st.dates().map(str), wild_text), **pages}
    for path, params in (("/api/v1/metrics", metrics), ("/api/v1/dashboards", pages), ("/api/v1/integrations", {}),
                         ("/api/v1/project", {}), ("/api/v1/api-keys", {})):
        answered(await api.get(path, params=params, headers=project.auth))
    resource = quote(field("resource", st.text("0123456789abcdef", min_size=32, max_size=32),
                           st.text(characters, min_size=1, max_size=300)), safe="")
    for path in ("/api/v1/dashboards/{}", "/api/v1/generations/{}", "/api/v1/dashboards/{}/view",
                 "/api/v1/dashboards/{}/pdf"):
        answered(await api.get(path.format(resource), headers=project.auth))
    await caught_up_with_nothing_parked(engine, store)


LOCAL_PATHS = [("get", "/api/v1/dashboards/{}"), ("delete", "/api/v1/dashboards/{}"),
               ("get", "/api/v1/dashboards/{}/versions"), ("get", "/api/v1/tenants/{}/dashboards"),
               ("delete", "/api/v1/api-keys/{}"), ("delete", "/api/v1/jwt-keys/{}"),
               ("get", "/api/v1/dashboards/{}/share-links?limit=true")]


async def test_any_text_in_bodies_and_paths_then_the_log_rebuilds(api, project, engine, store, nats_server,
                                                                  database_url):
    """Issue 20: tenant dashboards, JWT keys, embed origins and every id in a path, with any text:
    a 2xx or a 4xx, nothing parked; then `dashloom replay rebuild --all` succeeds on what was stored.
    The examples run in a thread that hands each one to this loop, so the rebuild runs once, after them."""
    loop = asyncio.get_running_loop()

    async def example(body: dict, origin: str, kid: str, resource: str) -> None:
        answered(await api.post("/api/v1/dashboards", headers=project.auth, json=body))
        answered(await api.put("/api/v1/project/embed-origins", headers=project.auth, json={"origins": [origin]}))
        answered(await api.post("/api/v1/jwt-keys", headers=project.auth, json={
            "kid": kid, "alg": "HS256", "secret": "s" * 40}))
        for method, path in LOCAL_PATHS:
            answered(await api.request(method, path.format(resource), headers=project.auth))
        await caught_up_with_nothing_parked(engine, store)

    @EXAMPLES
    @given(data=st.data())
    def run_examples(data) -> None:  # draws here, in hypothesis's thread; requests on the test's loop
        field = Fields(data, "tenant", "workspace", "name", "description", "kid", "origin", "id")
        body = {"tenant_id": field("tenant", st.from_regex(r"[a-z][a-z0-9]{0,20}", fullmatch=True), wild_text),
                "workspace_id": field("workspace", st.just("w1"), wild_text),
                "name": field("name", plain_text, wild_text),
                "description": field("description", plain_text, wild_text)}
        resource = quote(field("id", st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
                               st.text(characters, min_size=1, max_size=300)), safe="")
        asyncio.run_coroutine_threadsafe(example(
            body, field("origin", st.just("https://a.example"), wild_text), field("kid", st.just("k1"), wild_text),
            resource), loop).result()

    await asyncio.to_thread(run_examples)
    rebuilt = await asyncio.to_thread(dashloom, "replay", "rebuild", "--all", nats_url=nats_server.url,
                                      database_url=database_url)
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
