"""Share links in a real headless Chromium: a public link with no key draws every chart; a private
link is walked through its forms with the code read from the SMTP server; the headers hold."""

from __future__ import annotations

from services.gateway.edge.state import state_of
from services.gateway.viewer.bundle import VegaBundle
from tests.generation.test_viewer import dashboard_of
from tests.generation.test_viewer_browser import ARTIFACTS
from tests.sharing.test_private_links import ANA, code_in, private_link
from tests.sharing.test_share_links import path_of, share


async def new_page(browser, client):
    await state_of(client.app).parts.get(VegaBundle).body()  # built once per process: not inside the page's load timeout
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # no API key anywhere
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    return context, page, problems


async def assert_every_chart_drawn(page) -> None:
    await page.wait_for_selector("body[data-charts='drawn'], body[data-charts='failed']", timeout=30_000,
                                 state="attached")
    assert await page.get_attribute("body", "data-charts") == "drawn"
    charts = await page.locator(".chart").count()
    assert charts >= 4 and await page.locator(".chart svg").count() == charts
    for index in range(charts):
        marks = page.locator(".chart").nth(index).locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path")
        assert await marks.count() > 0


def assert_security_headers(headers: dict) -> None:
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self' 'unsafe-eval'" in policy
    assert headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"
    assert "no-store" in headers["cache-control"]


async def test_a_public_link_draws_every_chart_in_chromium_with_no_key(served, browser, client, new_project,
                                                                      worker, sharing, database_url):
    project = await new_project()
    link = (await share(client, project, await dashboard_of(client, project, title="Shared, drawn"))).json()["data"]
    context, page, problems = await new_page(browser, client)
    answer = await page.goto(f"{served}{path_of(link['url'])}")
    assert answer.status == 200 and "Authorization" not in await answer.request.all_headers()
    assert_security_headers(await answer.all_headers())
    await assert_every_chart_drawn(page)
    assert problems == []
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"share-public-{database_url.split(':')[0]}.png", full_page=True)
    await context.close()


async def test_the_private_link_flow_in_chromium(served, browser, client, new_project, worker, sharing, inbox):
    premium, link = await private_link(client, new_project)
    path = path_of(link["url"])
    context, page, problems = await new_page(browser, client)
    first = await page.goto(f"{served}{path}")
    assert first.status == 200 and (await first.all_headers())["referrer-policy"] == "no-referrer"
    await page.fill("input[type=email]", ANA)
    await page.click("button[type=submit]")
    await page.wait_for_selector("input[name=code]")
    code = code_in((await inbox.wait_for(1))[0])
    await page.fill("input[name=code]", code)
    async with page.expect_navigation(url=f"{served}{path}"):
        await page.click("form[action$='/session'] button[type=submit]")
    await assert_every_chart_drawn(page)
    (cookie,) = await context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == path
    assert cookie["expires"] > 0  # a session that ends, not a browser-lifetime cookie
    assert problems == []

    await client.delete(f"/api/v1/share-links/{link['id']}", headers=premium.auth)
    again = await page.reload()
    assert again.status == 410 and "revoked" in await page.inner_text("body")
    assert all("410" in problem for problem in problems)  # Chromium reports the 410 itself, nothing else
    await context.close()
