"""Share links end to end: the API over the gateway, the sharing service deciding over NATS,
the /s/ page opened with no API key. Time moves by the sharing service's clock, not by sleeping."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from contracts import STREAM_NAME
from tests.generation.test_viewer import dashboard_of

PAGE_HEADERS = {"referrer-policy": "no-referrer", "x-content-type-options": "nosniff"}


async def share(client, project, dashboard_id: str, **body):
    return await client.post(f"/api/v1/dashboards/{dashboard_id}/share-links", json=body or None, headers=project.auth)


def path_of(url: str) -> str:
    return url[url.index("/s/"):]


async def views_of(client, project, link: dict, count: int) -> list[dict]:
    """The link's view log once it holds `count` views (views reach the read model a moment later)."""
    async with asyncio.timeout(10):
        while True:
            views = (await client.get(f"/api/v1/share-links/{link['id']}/views", headers=project.auth)).json()
            if len(views["data"]) >= count:
                return views["data"]
            await asyncio.sleep(0.05)


def assert_page_headers(answer) -> None:
    for name, value in PAGE_HEADERS.items():
        assert answer.headers[name] == value
    directives: dict[str, str] = dict(d.strip().partition(" ")[::2]
                                      for d in answer.headers["content-security-policy"].split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])  # no inline script
    assert "no-store" in answer.headers["cache-control"]


async def test_a_free_link_is_public_lasts_seven_days_and_opens_without_a_key(client, new_project, worker, sharing,
                                                                              clock):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Shared sales")
    created = await share(client, project, dashboard_id)
    assert created.status_code == 201, created.text
    link = created.json()["data"]
    assert link["visibility"] == "public" and link["allowed_emails"] == [] and link["status"] == "active"
    lifetime = datetime.fromisoformat(link["expires_at"]) - datetime.fromisoformat(link["created_at"])
    assert lifetime == timedelta(days=7)
    token = path_of(link["url"])[3:]
    assert len(token) >= 3 + 43 and link["token_prefix"] == token[:10]  # 256 random bits

    page = await client.get(path_of(link["url"]), headers={"User-Agent": "pytest-browser"})  # no API key
    assert page.status_code == 200 and "Shared sales" in page.text and 'class="chart"' in page.text
    assert_page_headers(page)

    listed = (await client.get(f"/api/v1/dashboards/{dashboard_id}/share-links", headers=project.auth)).json()
    assert [item["id"] for item in listed["data"]] == [link["id"]] and listed["pagination"]["total"] == 1
    assert "url" not in listed["data"][0] and token not in str(listed)  # a list never shows the URL
    views = await views_of(client, project, link, 1)
    assert [(v["viewer"], v["email"], v["user_agent"]) for v in views] == [("anonymous", None, "pytest-browser")]

    clock.advance(timedelta(days=7, seconds=-5))
    assert (await client.get(path_of(link["url"]))).status_code == 200
    clock.advance(timedelta(seconds=10))
    gone = await client.get(path_of(link["url"]))
    assert gone.status_code == 410 and "expired" in gone.text
    assert_page_headers(gone)
    assert (await client.get(f"/api/v1/share-links/{link['id']}", headers=project.auth)).json()["data"]["status"] == "expired"


async def test_the_free_plan_is_refused_private_links_and_custom_expiry(client, new_project, worker, sharing):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    later = (datetime.now().astimezone() + timedelta(days=30)).isoformat()
    for body in ({"allowed_emails": ["ana@example.com"]}, {"expires_at": later}):
        refused = await share(client, project, dashboard_id, **body)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
        assert "premium" in refused.json()["error"]
    listed = await client.get(f"/api/v1/dashboards/{dashboard_id}/share-links", headers=project.auth)
    assert listed.json()["data"] == []  # nothing half-written


async def test_premium_links_check_their_addresses_and_expiry(client, new_project, worker, sharing):
    premium = await new_project(plan="premium")
    dashboard_id = await dashboard_of(client, premium)
    now = datetime.now().astimezone()
    bad = await share(client, premium, dashboard_id, allowed_emails=["ana@example.com", "not-an-address"])
    assert bad.status_code == 422 and bad.json()["code"] == "VALIDATION_ERROR" and "not-an-address" in bad.json()["error"]
    for when, words in ((now - timedelta(minutes=1), "future"), (now + timedelta(days=366), "one year")):
        refused = await share(client, premium, dashboard_id, expires_at=when.isoformat())
        assert refused.status_code == 422 and words in refused.json()["error"]
    naive = await share(client, premium, dashboard_id, expires_at="2030-01-01T00:00:00")
    assert naive.status_code == 422
    custom = now + timedelta(days=30)
    made = await share(client, premium, dashboard_id, allowed_emails=["Ana@Example.com "], expires_at=custom.isoformat())
    assert made.status_code == 201, made.text
    link = made.json()["data"]
    assert link["visibility"] == "private" and link["allowed_emails"] == ["ana@example.com"]
    assert datetime.fromisoformat(link["expires_at"]) == custom


async def test_revoking_a_link_makes_its_page_gone_at_once(client, new_project, worker, sharing):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project)
    link = (await share(client, project, dashboard_id)).json()["data"]
    assert (await client.get(path_of(link["url"]))).status_code == 200
    revoked = await client.delete(f"/api/v1/share-links/{link['id']}", headers=project.auth)
    assert revoked.status_code == 200 and revoked.json()["data"]["status"] == "revoked"
    gone = await client.get(path_of(link["url"]))
    assert gone.status_code == 410 and "revoked" in gone.text
    again = await client.delete(f"/api/v1/share-links/{link['id']}", headers=project.auth)
    assert again.status_code == 200 and again.json()["data"]["revoked_at"] == revoked.json()["data"]["revoked_at"]


async def test_another_projects_links_and_dashboards_are_not_found(client, new_project, worker, sharing):
    owner, other = await new_project(), await new_project("Other")
    dashboard_id = await dashboard_of(client, owner)
    link = (await share(client, owner, dashboard_id)).json()["data"]
    for method, path in (("POST", f"/api/v1/dashboards/{dashboard_id}/share-links"),
                         ("GET", f"/api/v1/dashboards/{dashboard_id}/share-links"),
                         ("GET", f"/api/v1/share-links/{link['id']}"),
                         ("GET", f"/api/v1/share-links/{link['id']}/views"),
                         ("POST", f"/api/v1/share-links/{link['id']}/reveal"),
                         ("DELETE", f"/api/v1/share-links/{link['id']}")):
        answer = await client.request(method, path, headers=other.auth)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", (method, path)
    assert (await client.get(path_of(link["url"]))).status_code == 200  # the DELETE above changed nothing
    assert (await client.get(f"/api/v1/share-links/{link['id']}")).status_code == 401


async def test_an_unknown_or_malformed_token_is_a_404_page(client, sharing):
    for path in ("/s/sl_" + "A" * 43, "/s/nothing", "/s/sl_%3Cscript%3E"):
        answer = await client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert "<script>" not in answer.text


async def test_a_public_links_owner_copies_it_again_and_the_log_never_holds_it_in_the_clear(
        client, new_project, worker, sharing, js):
    project = await new_project(plan="premium")
    dashboard_id = await dashboard_of(client, project)
    link = (await share(client, project, dashboard_id)).json()["data"]
    again = await client.post(f"/api/v1/share-links/{link['id']}/reveal", headers=project.auth)
    assert again.status_code == 200 and again.json()["data"]["url"] == link["url"], again.text
    token = path_of(link["url"])[3:]
    for seq in range(1, (await js.stream_info(STREAM_NAME)).state.last_seq + 1):  # sealed in the log
        assert token.encode() not in (await js.get_msg(STREAM_NAME, seq)).data

    private = (await share(client, project, dashboard_id, allowed_emails=["ann@example.com"])).json()["data"]
    refused = await client.post(f"/api/v1/share-links/{private['id']}/reveal", headers=project.auth)
    assert refused.status_code == 409 and "code sent to their address" in refused.json()["error"]
    assert (await client.delete(f"/api/v1/share-links/{link['id']}", headers=project.auth)).status_code == 200
    gone = await client.post(f"/api/v1/share-links/{link['id']}/reveal", headers=project.auth)
    assert gone.status_code == 410 and gone.json()["error"] == "this link is revoked: create a new one"
