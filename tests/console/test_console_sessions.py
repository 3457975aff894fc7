"""Console sessions as an attacker would try them: the cookie's attributes, the key never kept,
CSRF on every change (API and form), sign-out and revocation ending the session server-side,
another project's data, and the pages' security headers."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import websockets
from nats.js.errors import NoKeysError

from services.gateway.edge.sessions import BUCKET
from services.gateway.keys.commands import revoke_api_key
from services.readmodels.consistency import wait_for_checkpoint
from tests.console.conftest import signed_in
from tests.generation.test_viewer import dashboard_of

COOKIE = "dashloom_console"
PAGES = ("/console/dashboards", "/console/settings/api-keys", "/console/settings/webhooks",
         "/console/settings/project")


async def test_signing_in_sets_a_strict_httponly_cookie_and_keeps_no_key(client, new_project, js):
    project = await new_project()
    answer = await client.post("/api/v1/console-sessions", headers=project.auth)
    assert answer.status_code == 201 and answer.json()["data"]["project_id"] == project.project_id
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie and "max-age=28800" in cookie
    assert "secure" not in cookie  # plain http here; behind https the cookie is Secure
    session_id = answer.cookies[COOKIE]
    assert project.key.key not in answer.text and session_id not in answer.text
    bucket = await js.key_value(BUCKET)
    (handle,) = await bucket.keys()
    held = (await bucket.get(handle)).value
    assert project.key.key.encode() not in held and session_id.encode() not in held and handle != session_id
    assert set(orjson.loads(held)) == {"key_digest", "key_id", "project_id", "csrf", "expires_at"}


async def test_the_cookie_reads_the_api_and_every_page_with_the_security_headers(client, new_project):
    project = await new_project()
    session, csrf = await signed_in(client, project.key.key)
    cookies = {"Cookie": f"{COOKIE}={session}"}
    mine = await client.get("/api/v1/project", headers=cookies)
    assert mine.status_code == 200 and mine.json()["data"]["id"] == project.project_id
    assert int(mine.headers["X-RateLimit-Remaining"]) < int(mine.headers["X-RateLimit-Limit"])
    for path in (*PAGES, "/console/sign-in"):
        page = await client.get(path, headers=cookies)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
        assert "<script>" not in page.text and " style=" not in page.text  # nothing inline for the CSP to allow
    assert csrf in (await client.get(PAGES[0], headers=cookies)).text


async def test_without_a_session_pages_send_to_sign_in_and_the_api_says_why(client, new_project):
    for path in PAGES:
        answer = await client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/console/sign-in"), path
        forged = await client.get(path, headers={"Cookie": f"{COOKIE}=made-up-session-id"})
        assert forged.status_code == 303
    answer = await client.get("/api/v1/project", headers={"Cookie": f"{COOKIE}=made-up-session-id"})
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHORIZED")
    assert "sign in again" in answer.json()["error"]


async def test_a_change_without_the_csrf_token_is_refused_and_leaves_nothing(client, new_project, store):
    project = await new_project()
    session, csrf = await signed_in(client, project.key.key)
    cookies = {"Cookie": f"{COOKIE}={session}"}
    before = await store.last_sequence()
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        answer = await client.post("/api/v1/api-keys", headers={**cookies, **headers}, json={"name": "forged"})
        assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN"), headers
        assert "CSRF" in answer.json()["error"]
    assert await store.last_sequence() == before
    made = await client.post("/api/v1/api-keys", headers={**cookies, "X-CSRF-Token": csrf}, json={"name": "real"})
    assert made.status_code == 201 and made.json()["data"]["key"].startswith("dl_live_")


async def test_another_sessions_csrf_token_does_not_count(client, new_project):
    mine, theirs = await new_project("mine"), await new_project("theirs")
    session, _ = await signed_in(client, mine.key.key)
    _, their_csrf = await signed_in(client, theirs.key.key)
    answer = await client.post("/api/v1/api-keys", headers={"Cookie": f"{COOKIE}={session}", "X-CSRF-Token": their_csrf},
                               json={"name": "forged"})
    assert answer.status_code == 403


async def test_the_sign_out_form_needs_its_token_then_ends_the_session_on_the_server(client, new_project, js):
    project = await new_project()
    session, csrf = await signed_in(client, project.key.key)
    cookies = {"Cookie": f"{COOKIE}={session}"}
    for form in ({}, {"csrf_token": "wrong"}):
        refused = await client.post("/console/sign-out", headers=cookies, data=form)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert (await client.get("/api/v1/project", headers=cookies)).status_code == 200  # still signed in
    out = await client.post("/console/sign-out", headers=cookies, data={"csrf_token": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/console/sign-in?signed-out")
    assert 'dashloom_console=""' in out.headers["set-cookie"] and "max-age=0" in out.headers["set-cookie"].lower()
    with pytest.raises(NoKeysError):  # nothing left of it on the server
        await (await js.key_value(BUCKET)).keys()
    # the old cookie, kept by an attacker who copied it, opens nothing any more
    assert (await client.get("/api/v1/project", headers=cookies)).status_code == 401
    assert (await client.get(PAGES[0], headers=cookies)).status_code == 303


async def test_revoking_the_key_ends_its_sessions_at_once(client, new_project, store, engine):
    project = await new_project()
    session, _ = await signed_in(client, project.key.key)
    seq = await revoke_api_key(store, project.project_id, project.key.key_id)
    assert await wait_for_checkpoint(engine, "projects", seq, timeout=10)
    assert (await client.get("/api/v1/project", headers={"Cookie": f"{COOKIE}={session}"})).status_code == 401
    assert (await client.get(PAGES[0], headers={"Cookie": f"{COOKIE}={session}"})).status_code == 303


async def test_a_session_of_project_a_does_not_open_project_b(client, new_project, worker):
    a, b = await new_project("A"), await new_project("B")
    theirs = await dashboard_of(client, b, title="B's numbers")
    mine = await dashboard_of(client, a, title="A's numbers")
    session, csrf = await signed_in(client, a.key.key)
    cookies, headers = {"Cookie": f"{COOKIE}={session}"}, {"X-CSRF-Token": csrf}
    listed = (await client.get("/api/v1/dashboards", headers=cookies)).json()["data"]
    assert [d["id"] for d in listed] == [mine]
    for path in (f"/api/v1/dashboards/{theirs}", f"/api/v1/dashboards/{theirs}/view"):
        answer = await client.get(path, headers=cookies)
        assert answer.status_code == 404, path
    share = await client.post(f"/api/v1/dashboards/{theirs}/share-links", headers={**cookies, **headers})
    assert share.status_code in (404, 503)  # no sharing service here: never a link to B's dashboard
    # a session opens only from an API key: a cookie cannot mint itself a second session
    again = await client.post("/api/v1/console-sessions", headers={**cookies, **headers})
    assert again.status_code == 403


async def test_a_websocket_opens_on_a_ticket_the_session_asked_for_never_on_the_cookie(served, client, new_project):
    project = await new_project()
    session, csrf = await signed_in(client, project.key.key)
    cookie = {"Cookie": f"{COOKIE}={session}"}
    host = served.removeprefix("http://")
    with pytest.raises(websockets.InvalidStatus):  # cross-site websocket hijacking has nothing to ride on
        async with websockets.connect(f"ws://{host}/api/v1/ws", additional_headers={**cookie, "X-CSRF-Token": csrf}):
            pass
    assert (await client.post("/api/v1/ws-tickets", headers=cookie)).status_code == 403  # no CSRF token
    ticket = (await client.post("/api/v1/ws-tickets", headers={**cookie, "X-CSRF-Token": csrf})).json()["data"]["ticket"]
    async with websockets.connect(f"ws://{host}/api/v1/ws?ticket={ticket}") as socket:
        await socket.send(orjson.dumps({"subscribe": ["nope"]}).decode())
        assert orjson.loads(await asyncio.wait_for(socket.recv(), 10))["code"] == "NOT_FOUND"


async def test_a_wrong_key_does_not_sign_in(client, new_project):
    await new_project()
    answer = await client.post("/api/v1/console-sessions", headers={"Authorization": "Bearer dl_live_nope"})
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHORIZED")
    assert "set-cookie" not in answer.headers


async def test_a_session_past_its_end_opens_nothing(client, new_project, js):
    project = await new_project()
    session, _ = await signed_in(client, project.key.key)
    bucket = await js.key_value(BUCKET)
    (handle,) = await bucket.keys()
    held = orjson.loads((await bucket.get(handle)).value)
    await bucket.put(handle, orjson.dumps({**held, "expires_at": "2020-01-01T00:00:00+00:00"}))
    assert (await client.get("/api/v1/project", headers={"Cookie": f"{COOKIE}={session}"})).status_code == 401


async def test_over_https_the_cookie_is_secure(client, new_project):
    project = await new_project()
    answer = await client.post("https://gateway.test/api/v1/console-sessions", headers=project.auth)
    assert answer.status_code == 201 and "; secure" in answer.headers["set-cookie"].lower()


async def test_without_its_script_the_sign_in_form_posts_and_never_uses_the_key(client, new_project):
    project = await new_project()
    page = (await client.get("/console/sign-in")).text
    assert 'method="post" action="/console/sign-in"' in page  # never a GET: the key stays out of URLs
    answer = await client.post("/console/sign-in", data={"api_key": project.key.key})
    assert answer.status_code == 400 and "needs JavaScript" in answer.text
    assert "set-cookie" not in answer.headers and project.key.key not in answer.text
