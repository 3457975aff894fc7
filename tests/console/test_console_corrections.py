"""A person corrects a dashboard's cards in the console, in a real Chromium, by the keyboard:
remove, pin, move, change a card's measure and grouping from the table's columns, add a card,
then undo one; the page passes axe before and after."""

from __future__ import annotations

from tests.console.test_console_browser import WAIT, sign_in
from tests.generation.test_viewer import dashboard_of


async def spec_ids(client, project, dashboard_id: str) -> list[str]:
    spec = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]["spec"]
    return [card["id"] for card in spec["cards"]]


async def press(page, selector: str) -> None:
    """Reach a control and use it with the keyboard."""
    await page.focus(selector)
    await page.keyboard.press("Enter")


async def corrections_listed(page, count: int) -> None:
    await page.wait_for_function("(count) => document.querySelectorAll('#corrections tbody tr').length === count",
                                 arg=count, timeout=WAIT)
    await page.wait_for_function("() => document.getElementById('status').textContent.includes('drawn again')",
                                 timeout=WAIT)


async def test_a_person_corrects_the_cards_and_undoes_a_correction_with_the_keyboard(
        served, browser, client, new_project, worker, sharing):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Corrected sales")
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await person.go(f"/console/dashboards/{dashboard_id}")
    await page.wait_for_selector("#cards tbody tr[data-card='top-rows']", timeout=WAIT)
    await person.accessible()

    await press(page, "#cards tr[data-card='top-rows'] button.danger")
    await corrections_listed(page, 1)
    assert "top-rows" not in await spec_ids(client, project, dashboard_id)
    await press(page, "#cards tr[data-card='breakdown-region'] button[aria-label^='Pin']")
    await corrections_listed(page, 2)
    await press(page, "#cards tr[data-card='rows'] button[aria-label^='Down']")
    await corrections_listed(page, 3)
    ids = await spec_ids(client, project, dashboard_id)
    assert ids[0] == "breakdown-region" and ids.index("rows") == 2, ids

    await page.select_option("#query-card", "breakdown-region")
    await page.select_option("#query-measure", "amount")
    await page.select_option("#query-aggregate", "mean")
    await page.select_option("#query-by", "product")
    await press(page, "#card-query button[value=change_query]")
    await corrections_listed(page, 4)
    await press(page, "#card-query button[value=add]")
    await corrections_listed(page, 5)
    spec = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]["spec"]
    changed = next(card for card in spec["cards"] if card["id"] == "breakdown-region")
    assert changed["query"]["measure"] == "amount" and changed["query"]["by"] == ["product"]
    assert spec["cards"][-1]["id"].startswith("mine-") and spec["cards"][-1]["query"]["aggregate"] == "mean"
    await person.accessible()

    await press(page, "#corrections tbody tr:first-child button")  # undo the removal
    await page.wait_for_selector("#corrections tbody tr:first-child .badge.bad", timeout=WAIT)
    await page.wait_for_selector("#cards tbody tr[data-card='top-rows']", timeout=WAIT)
    assert "top-rows" in await spec_ids(client, project, dashboard_id)
    await person.accessible()
    await person.shot("dashboard-corrections")
    assert person.problems == []
    await person.context.close()
