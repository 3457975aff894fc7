"""The viewer page in a real headless Chromium (Debian's, at /usr/bin/chromium), served over TCP.

Every chart must draw with no console error; screenshots land in test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

from tests.generation.test_viewer import dashboard_of

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


async def open_dashboard(browser, url: str, key: str, screenshot: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        extra_http_headers={"Authorization": f"Bearer {key}"})
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"{request.url}: {request.failure}"))
    await page.goto(url)
    await page.wait_for_selector("body[data-charts='drawn'], body[data-charts='failed']", timeout=30_000, state="attached")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / screenshot, full_page=True)
    return page, problems


async def test_every_chart_draws_in_chromium_with_no_console_error(served, browser, client, new_project, worker,
                                                                   database_url):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Sales, drawn")
    page, problems = await open_dashboard(browser, f"{served}/api/v1/dashboards/{dashboard_id}/view",
                                          project.key.key, f"viewer-grid-{database_url.split(':')[0]}.png")
    assert problems == []
    assert await page.get_attribute("body", "data-charts") == "drawn"
    charts = await page.locator(".chart").count()
    assert charts >= 4
    assert await page.locator(".chart svg").count() == charts
    for index in range(charts):  # each chart has drawn marks and is as wide as its card
        chart = page.locator(".chart").nth(index)
        assert await chart.locator("svg .mark-rect path, svg .mark-line path, svg .mark-symbol path").count() > 0
        box = await chart.locator("svg").bounding_box()
        assert box["width"] > 300 and box["height"] > 100
    assert await page.locator(".card-kpi .value").first.inner_text() == "300"


async def test_scrollable_cards_scroll_inside_their_card_in_chromium(served, browser, client, new_project, worker,
                                                                     database_url):
    premium = await new_project(plan="premium")
    urls = {layout: f"{served}/api/v1/dashboards/{await dashboard_of(client, premium, **fields)}/view"
            for layout, fields in (("grid", {}), ("scrollable", {"allow_scrollable_cards": "true"}))}
    heights = {}
    for layout, url in urls.items():
        page, problems = await open_dashboard(browser, url, premium.key.key,
                                              f"viewer-{layout}-{database_url.split(':')[0]}.png")
        assert problems == []
        table = page.locator(".card-table .card-body")
        heights[layout] = await table.evaluate("body => [body.scrollHeight, body.clientHeight]")
        card_heights = await page.locator(".cards .card").evaluate_all("cards => cards.map(c => c.offsetHeight)")
        if layout == "scrollable":
            assert len(set(card_heights)) == 1  # every card the same height
        else:
            assert len(set(card_heights)) > 1  # each card as tall as its content
    scroll_height, client_height = heights["scrollable"]
    assert scroll_height > client_height  # 50 rows scroll inside the card
    grid_scroll, grid_client = heights["grid"]
    assert grid_scroll <= grid_client + 1  # 10 rows: the card fits them
