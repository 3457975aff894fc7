"""The console in a real headless Chromium, walked as a new user would: sign in, upload with the
bar reaching the dashboard, a key shown once, share links, a webhook's test delivery, sign out.
Every page passes axe-core (vendored, tests/console/assets) with no serious or critical violation
at desktop and phone width; screenshots land in test-artifacts/console/."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.errors import NoKeysError
from standardwebhooks import Webhook

from services.gateway.edge.sessions import BUCKET
from services.gateway.edge.state import state_of
from services.gateway.viewer.bundle import VegaBundle
from services.readmodels.consistency import wait_for_checkpoint
from tests.console.conftest import ARTIFACTS, AXE
from tests.factories import generation_lifecycle, new_id
from tests.generation.samples import encoded, sales
from tests.generation.test_viewer import dashboard_of
from tests.sharing.test_share_browser import assert_every_chart_drawn

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 740}
WAIT = 60_000  # ms: a bound on every wait for the page (a loaded machine), never a timing assertion


class Browsing:
    """One person's browser: a context of its own, its console errors collected."""

    def __init__(self, context, page, served: str) -> None:
        self.context, self.page, self.served = context, page, served
        self.problems: list[str] = []
        page.on("console", lambda message: self.problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("response", lambda answer: self.problems.append(f"{answer.status} {answer.url}")
                if answer.status >= 400 else None)

    async def go(self, path: str):
        return await self.page.goto(f"{self.served}{path}")

    async def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    async def accessible(self) -> None:
        found = await self.page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""")
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        duplicated = await self.page.evaluate("""() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
            return ids.filter((id, i) => ids.indexOf(id) !== i); }""")
        assert duplicated == []  # labels and scripts find the one element they mean


async def wider_than_the_window(page) -> list[str]:
    return await page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)
        .map(e => `${e.tagName}.${e.className}#${e.id}`)""")


async def open_browsing(browser, served: str, viewport=DESKTOP, **options) -> Browsing:
    context = await browser.new_context(viewport=viewport, **options)
    await context.add_init_script(path=AXE)  # via the DevTools protocol: the pages' CSP still holds for their own scripts
    return Browsing(context, await context.new_page(), served)


async def sign_in(browser, served: str, key: str, viewport=DESKTOP, **options) -> Browsing:
    person = await open_browsing(browser, served, viewport, **options)
    await person.go("/console/sign-in")
    await person.page.focus("#api-key")
    await person.page.keyboard.type(key)
    async with person.page.expect_navigation(url=f"{served}/console/dashboards", timeout=WAIT):
        await person.page.keyboard.press("Enter")  # the keyboard alone signs in
    assert key not in await person.page.content()
    return person


async def session_cookie(person: Browsing) -> dict:
    (cookie,) = [c for c in await person.context.cookies() if c["name"] == "dashloom_console"]
    return cookie


async def test_sign_in_then_upload_and_watch_the_bar_reach_the_dashboard(served, browser, client, new_project, worker,
                                                                         sharing):
    await state_of(client.app).parts.get(VegaBundle).body()  # built once per process, not inside a page's wait
    project = await new_project()
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    cookie = await session_cookie(person)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert await page.evaluate("document.cookie") == ""  # the page's scripts cannot read the session
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    seen: list[tuple[str, float]] = []
    await page.expose_function("barMoved", lambda stage, value: seen.append((stage, value)))
    await page.evaluate("""() => { const bar = document.getElementById('upload-bar');
        const form = document.getElementById('upload');
        new MutationObserver(() => window.barMoved(form.dataset.stage, bar.value))
            .observe(form, {attributes: true, subtree: true, attributeFilter: ['data-stage', 'aria-valuetext']}); }""")
    csv = encoded(sales(), "csv").decode()
    dropped = await page.evaluate_handle("""(csv) => { const files = new DataTransfer();
        files.items.add(new File([csv], 'sales.csv', {type: 'text/csv'})); return files; }""", csv)
    await page.dispatch_event("#drop-zone", "drop", {"dataTransfer": dropped})  # drag and drop
    assert "sales.csv" in await page.inner_text("#upload-chosen")
    await page.fill("#upload-title", "Dropped sales")
    await person.shot("dashboards-before-upload")
    async with page.expect_navigation(url=f"{served}/console/dashboards/*", timeout=WAIT):
        await page.click("#upload button[type=submit]")
    stages = [stage for stage, _ in seen]
    assert stages[0] == "uploading" and "generating" in stages and seen[-1] == ("completed", 100), seen
    uploading = [value for stage, value in seen if stage == "uploading"]
    assert uploading == sorted(uploading) and 100 in uploading  # the bytes' bar only moves forward
    assert any("/api/v1/ws?ticket=" in url for url in sockets)  # the stages came over the websocket
    await page.wait_for_selector("#dashboard-facts dt", timeout=WAIT)
    assert await page.inner_text("#dashboard-title") == "Dropped sales"
    await person.shot("dashboard")
    async with page.expect_navigation(timeout=WAIT):
        await page.click("#open-viewer")
    await assert_every_chart_drawn(page)  # the one viewer renderer, opened with the session cookie
    assert person.problems == []
    await person.context.close()


async def test_a_new_key_is_shown_once_then_masked_after_a_reload(served, browser, client, new_project):
    project = await new_project()
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await person.go("/console/settings/api-keys")
    await page.wait_for_selector(f"#keys tr[data-key='{project.key.key_id}']", timeout=WAIT)
    assert not await page.is_visible("#key-created")
    await page.fill("#key-name", "billing backend")
    await page.click("#key-create button[type=submit]")
    await page.wait_for_selector("#key-created:not([hidden])", timeout=WAIT)
    key = await page.input_value("#key-value")
    assert key.startswith("dl_live_")
    works = await client.get("/api/v1/project", headers={"Authorization": f"Bearer {key}"})
    assert works.status_code == 200 and works.json()["data"]["id"] == project.project_id
    await page.wait_for_selector("#keys tr:has-text('billing backend')", timeout=WAIT)
    await person.shot("api-keys-created")
    await page.reload()
    await page.wait_for_selector("#keys tr:has-text('billing backend')", timeout=WAIT)
    assert not await page.is_visible("#key-created") and await page.input_value("#key-value") == ""
    assert key not in await page.content()  # never again, anywhere in the page
    masked = await page.inner_text("#keys tr:has-text('billing backend') .masked")
    assert masked.startswith(key[:12]) and masked.endswith("•" * 8) and key[12:] not in masked
    # revoke it from the console: the key stops working at once
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#keys tr:has-text('billing backend') button:has-text('Revoke')")
    await page.wait_for_selector("#keys tr:has-text('billing backend') .badge:has-text('revoked')", timeout=WAIT)
    assert (await client.get("/api/v1/project", headers={"Authorization": f"Bearer {key}"})).status_code == 401
    await person.shot("api-keys")
    assert person.problems == []
    await person.context.close()


async def test_a_share_link_is_created_copied_opened_elsewhere_and_revoked(served, browser, client, new_project,
                                                                           worker, sharing):
    await state_of(client.app).parts.get(VegaBundle).body()
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Shared from the console")
    person = await sign_in(browser, served, project.key.key, permissions=["clipboard-read", "clipboard-write"])
    page = person.page
    await person.go(f"/console/dashboards/{dashboard_id}")
    await page.wait_for_selector("#share-empty:not([hidden])", timeout=WAIT)
    # the free plan: the premium options are there, disabled, with the reason in words
    assert await page.is_disabled("#share-emails") and await page.is_disabled("#share-expires")
    assert "need the premium plan" in await page.inner_text("#premium-reason")
    await page.click("#share-create button[type=submit]")
    await page.wait_for_selector("#share-created:not([hidden])", timeout=WAIT)
    url = await page.input_value("#share-url")
    assert url.startswith(f"{served}/s/sl_")
    await page.click("button.copy[data-copy='share-url']")
    assert await page.evaluate("navigator.clipboard.readText()") == url
    await page.wait_for_selector("#share-links tbody tr", timeout=WAIT)
    await person.shot("dashboard-sharing")
    await person.go(f"/console/dashboards/{dashboard_id}")  # later, the owner copies the public link again
    await page.click("#share-links button:has-text('Copy link')")
    await page.wait_for_selector("#share-created:not([hidden])", timeout=WAIT)
    assert await page.input_value("#share-url") == url

    stranger = await open_browsing(browser, served)  # a second browser: no session, no key
    opened = await stranger.page.goto(url)
    assert opened.status == 200
    await assert_every_chart_drawn(stranger.page)

    await page.click("#share-links button:has-text('View log')")
    await page.wait_for_selector("#views tbody tr td", timeout=WAIT)
    assert "anonymous" in await page.inner_text("#views tbody")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#share-links button:has-text('Revoke')")
    await page.wait_for_selector("#share-links .badge:has-text('revoked')", timeout=WAIT)
    await person.shot("dashboard-sharing-revoked")
    again = await stranger.page.reload()
    assert again.status == 410
    assert person.problems == []
    await stranger.context.close()
    await person.context.close()


async def test_a_webhook_endpoint_gets_its_test_delivery_and_lists_it(served, browser, client, new_project,
                                                                      webhooks, receiver):
    project = await new_project()
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await person.go("/console/settings/webhooks")
    await page.wait_for_selector("#hooks-empty:not([hidden])", timeout=WAIT)
    await page.fill("#hook-url", receiver.url())
    await page.click("#hook-create button[type=submit]")
    await page.wait_for_selector("#hook-secret:not([hidden])", timeout=WAIT)
    secret = await page.input_value("#hook-secret-value")
    assert secret.startswith("whsec_")
    await page.wait_for_selector("#hooks tbody tr", timeout=WAIT)
    await page.click("#hooks button:has-text('Send test')")
    (arrived,) = await receiver.wait_for(1)
    body = Webhook(secret).verify(arrived.body, arrived.headers)  # signed with the secret shown once
    assert body["type"] == "webhook.test"
    for _ in range(100):  # the delivery's outcome reaches the read model; the console shows it
        await page.click("#deliveries-refresh")
        if await page.locator("#deliveries tr[data-status='succeeded']").count():
            break
        await asyncio.sleep(0.1)
    row = page.locator("#deliveries tr[data-status='succeeded']")
    assert "webhook.test" in await row.inner_text() and "HTTP 200" in await row.inner_text()
    await person.shot("webhooks")
    await row.locator("button:has-text('Redeliver')").click()
    again = await receiver.wait_for(2)
    assert again[1].headers["webhook-id"] == arrived.headers["webhook-id"]  # the same message, sent again
    await page.reload()
    await page.wait_for_selector("#hooks tbody tr", timeout=WAIT)
    assert secret not in await page.content()
    await page.click("#hooks button:has-text('Disable')")
    await page.wait_for_selector("#hooks .badge:has-text('disabled')", timeout=WAIT)
    assert person.problems == []
    await person.context.close()


async def test_signing_out_ends_the_session_on_the_server(served, browser, client, new_project, js):
    project = await new_project()
    person = await sign_in(browser, served, project.key.key)
    cookie = await session_cookie(person)
    await person.page.click("form.sign-out button")
    await person.page.wait_for_url(f"{served}/console/sign-in?signed-out", timeout=WAIT)
    assert "signed out" in await person.page.inner_text("main")
    await person.shot("signed-out")
    assert [c for c in await person.context.cookies() if c["name"] == "dashloom_console"] == []
    with pytest.raises(NoKeysError):
        await (await js.key_value(BUCKET)).keys()
    replayed = await client.get("/api/v1/project", headers={"Cookie": f"dashloom_console={cookie['value']}"})
    assert replayed.status_code == 401  # the copied cookie is dead: the session ended server-side
    assert (await person.go("/console/dashboards")).url == f"{served}/console/sign-in"
    await person.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_every_page_passes_axe_and_is_photographed(served, browser, client, new_project, worker, sharing,
                                                         webhooks, receiver, viewport):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Accessible sales", tenant_id="acme", workspace_id="eu")
    await client.post("/api/v1/webhooks", headers=project.auth, json={"url": receiver.url(), "events": ["generation.completed"]})
    size = "phone" if viewport is PHONE else "desktop"
    anonymous = await open_browsing(browser, served, viewport)
    await anonymous.go("/console/sign-in")
    await anonymous.accessible()
    await anonymous.shot(f"sign-in-{size}")
    await anonymous.context.close()
    person = await sign_in(browser, served, project.key.key, viewport)
    await person.page.keyboard.press("Tab")  # the first stop of the keyboard skips to the content
    assert await person.page.evaluate("document.activeElement.className") == "skip"
    for path, ready in (("/console/dashboards", "#dashboards tbody tr"),
                        (f"/console/dashboards/{dashboard_id}", "#versions tbody tr"),
                        ("/console/settings/api-keys", "#keys tbody tr"),
                        ("/console/settings/webhooks", "#hooks tbody tr"),
                        ("/console/settings/embedding", "#jwt-keys tbody tr"),
                        ("/console/settings/project", "#usage-text[data-used]")):
        await person.go(path)
        await person.page.wait_for_selector(ready, timeout=WAIT)
        await person.accessible()
        name = path.removeprefix("/console/").replace("/", "-").replace(dashboard_id, "one")
        await person.shot(f"{name}-{size}")
        if viewport is PHONE:  # nothing wider than the phone but the tables, which scroll in their own box
            overflow = await person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, await wider_than_the_window(person.page))
    assert person.problems == []
    await person.context.close()


def dashboard_events(project_id: str, title: str, tenant: str | None = None, workspace: str | None = None):
    generation_id = new_id()
    events = generation_lifecycle(generation_id, project_id=project_id)
    events[0].payload.tenant_id, events[0].payload.workspace_id = tenant, workspace
    events[-1].payload.title = title
    return events


async def test_the_list_searches_filters_and_pages(served, browser, client, new_project, store, engine):
    project = await new_project()
    events = [event for number in range(23) for event in dashboard_events(
        project.project_id, f"Report {number:02d}", "acme" if number % 2 else "globex", "eu")]
    events += dashboard_events(project.project_id, "Churn", "acme", "us")
    assert await wait_for_checkpoint(engine, "generations", (await store.append_many(events))[-1], timeout=10)
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await page.wait_for_selector("#dashboards tbody tr", timeout=WAIT)
    assert await page.locator("#dashboards tbody tr").count() == 20
    assert await page.inner_text("#page-info") == "Page 1 of 2 · 24 dashboards"
    async with page.expect_navigation(timeout=WAIT):
        await page.click("#page-next")
    await page.wait_for_selector("#dashboards tbody tr", timeout=WAIT)
    assert await page.locator("#dashboards tbody tr").count() == 4 and await page.is_hidden("#page-next")
    await page.fill("#filter-search", "REPORT 1")
    await page.fill("#filter-tenant", "acme")
    async with page.expect_navigation(timeout=WAIT):
        await page.press("#filter-tenant", "Enter")
    await page.wait_for_selector("#dashboards tbody tr", timeout=WAIT)
    assert await page.inner_text("#page-info") == "Page 1 of 1 · 5 dashboards"  # Report 11, 13, 15, 17, 19
    assert await page.input_value("#filter-search") == "REPORT 1"  # the filters stay in the form
    await person.shot("dashboards-filtered")
    await person.shot("dashboards-filtered")
    assert person.problems == []
    await person.context.close()


async def test_errors_are_said_in_words(served, browser, client, new_project):
    project = await new_project()
    person = await open_browsing(browser, served)
    await person.go("/console/sign-in")
    await person.page.fill("#api-key", "not a key")
    await person.page.click("#sign-in button[type=submit]")
    assert "keys start with dl_live_" in await person.page.inner_text("#sign-in-error")
    wrong = project.key.key[:-6] + ("AAAAAA" if not project.key.key.endswith("AAAAAA") else "BBBBBB")
    await person.page.fill("#api-key", wrong)
    await person.page.click("#sign-in button[type=submit]")
    await person.page.wait_for_selector("#sign-in-error:has-text('not accepted')", timeout=WAIT)
    await person.shot("sign-in-refused")
    await person.context.close()

    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await page.set_input_files("#upload-file", files=[{"name": "photo.csv", "mimeType": "text/csv",
                                                       "buffer": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}])
    await page.click("#upload button[type=submit]")
    await page.wait_for_selector("#upload-error:not(:empty)", timeout=WAIT)
    message = await page.inner_text("#upload-error")
    assert message.startswith("That file type is not supported"), message
    assert await page.is_disabled("#upload-pdf")  # the free plan: the premium options, disabled, with the reason
    assert "need the premium plan" in await page.inner_text("#upload-premium-reason")
    assert await page.get_attribute("#upload", "data-stage") == "failed"
    await person.shot("dashboards-upload-refused")
    await person.context.close()


async def test_a_tenant_dashboard_is_refreshed_in_place_embedded_and_deleted(served, browser, client, new_project,
                                                                             worker, sharing):
    project = await new_project()
    dashboard_id = await dashboard_of(client, project, title="Tenant sales", tenant_id="acme", workspace_id="eu")
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await person.go(f"/console/dashboards/{dashboard_id}")
    await page.wait_for_selector("#versions tbody tr", timeout=WAIT)
    assert await page.locator("#versions tbody tr").count() == 1
    csv = encoded(sales(120), "csv")
    await page.set_input_files("#refresh-file", files=[{"name": "new.csv", "mimeType": "text/csv", "buffer": csv}])
    async with page.expect_navigation(url=f"{served}/console/dashboards/{dashboard_id}", timeout=WAIT):
        await page.click("#refresh button[type=submit]")
    await page.wait_for_selector("#versions tbody tr:nth-child(2)", timeout=WAIT)
    newest = await page.inner_text("#versions tbody tr:first-child")
    assert "120" in newest and "Tenant sales" in newest  # the new version, same id, its title kept

    assert await page.input_value("#embed-tenant") == "acme"
    await page.click("#embed-create button[type=submit]")
    await page.wait_for_selector("#embed-created:not([hidden])", timeout=WAIT)
    snippet = await page.input_value("#embed-snippet")
    embed = snippet.split('src="')[1].split('"')[0].removeprefix(served)
    assert embed.startswith("/embed/") and (await client.get(embed)).status_code == 200
    await person.shot("dashboard-embed")
    await page.click("#embed-revoke")
    await page.wait_for_selector("#embed-created[hidden]", state="attached", timeout=WAIT)
    assert (await client.get(embed)).status_code in (401, 403, 410)

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    async with page.expect_navigation(url=f"{served}/console/dashboards?deleted", timeout=WAIT):
        await page.click("#dashboard-delete")
    await page.wait_for_selector("#list-empty:not([hidden])", timeout=WAIT)
    gone = await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)
    assert gone.status_code == 410
    assert person.problems == []
    await person.context.close()


async def test_premium_options_a_preview_readable_versions_and_failed_generations(served, browser, client, new_project,
                                                                                   worker, sharing, store, engine):
    """A premium project's upload form asks for a PDF and scrollable cards; the dashboard's page
    previews it; its versions name the key and format the rows; a failed generation says why."""
    await state_of(client.app).parts.get(VegaBundle).body()
    project = await new_project(plan="premium")
    failed = generation_lifecycle(new_id(), project_id=project.project_id, fail=True)
    assert await wait_for_checkpoint(engine, "generations", (await store.append_many(failed))[-1], timeout=10)
    person = await sign_in(browser, served, project.key.key)
    page = person.page
    await page.wait_for_selector("#failed-generations tbody tr", timeout=WAIT)
    assert "The file has no rows" in await page.inner_text("#failed-generations tbody tr")
    assert await page.is_enabled("#upload-pdf") and await page.locator("#upload-premium-reason").count() == 0
    await page.set_input_files("#upload-file", files=[{"name": "big.csv", "mimeType": "text/csv",
                                                       "buffer": encoded(sales(1500), "csv")}])
    await page.fill("#upload-title", "Big sales")
    await page.check("#upload-pdf")
    await page.check("#upload-scrollable")
    async with page.expect_navigation(url=f"{served}/console/dashboards/*", timeout=WAIT):
        await page.click("#upload button[type=submit]")
    dashboard_id = page.url.rsplit("/", 1)[1]
    shown = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]
    assert shown["spec"]["options"] == {"allow_pdf_export": True, "allow_scrollable_cards": True}
    pdf = await client.get(f"/api/v1/dashboards/{dashboard_id}/pdf", headers=project.auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    await page.wait_for_selector("#preview:not([hidden])", timeout=WAIT)
    preview = await (await page.query_selector("#preview")).content_frame()
    await assert_every_chart_drawn(preview)  # the viewer itself, framed by the console only
    await page.wait_for_selector("#versions tbody tr", timeout=WAIT)
    key_name = (await client.get("/api/v1/api-keys", headers=project.auth)).json()["data"][0]["name"]
    cells = await page.locator("#versions tbody tr:first-child td").all_inner_texts()
    assert cells[2] == "1,500" and cells[4] == key_name, cells
    await person.accessible()
    await person.shot("dashboard-preview")
    assert person.problems == []
    await person.context.close()
