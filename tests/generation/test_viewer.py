"""The dashboard for people: the viewer page, its assets, the PDF and the two card layouts."""

from __future__ import annotations

import asyncio
import io

import polars as pl
from pypdf import PdfReader

from tests.generation.samples import encoded, sales
from tests.generation.test_generate import generate


async def dashboard_of(client, project, frame=None, **fields) -> str:
    """The new dashboard's id; a PDF drawn on a busy machine may outlast the POST's wait: then poll."""
    answer = await generate(client, project, encoded(sales() if frame is None else frame, "csv"), **fields)
    assert answer.status_code in (200, 202), answer.text
    data = answer.json()["data"]
    for _ in range(600):
        if data["status"] == "completed":
            return data["dashboard_id"]
        assert data["status"] == "processing", data
        await asyncio.sleep(0.1)
        data = (await client.get(f"/api/v1/generations/{data['generation_id']}", headers=project.auth)).json()["data"]
    raise AssertionError(f"the generation did not complete: {data}")


def pdf_text(body: bytes) -> tuple[str, int]:
    """The PDF's text and its number of pages."""
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


async def test_the_viewer_page_shows_every_card_and_escapes_what_the_file_says(client, new_project, worker):
    project = await new_project()
    frame = sales().with_columns(pl.lit("<script>alert(1)</script>").alias("note"))
    dashboard_id = await dashboard_of(client, project, frame, title="<b>Q1</b> & more")
    spec = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]["spec"]
    page = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=project.auth)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self' 'unsafe-eval'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]  # the console's preview, no other site
    html = page.text
    assert "&lt;b&gt;Q1&lt;/b&gt; &amp; more" in html and "<b>Q1</b>" not in html
    assert "<script>alert(1)</script>" not in html
    charts = [card for card in spec["cards"] if card["kind"] == "chart"]
    assert html.count('class="chart"') == len(charts) > 0
    assert html.count('class="card card-kpi"') == sum(card["kind"] == "kpi" for card in spec["cards"])
    assert 'class="layout-grid"' in html


async def test_the_viewer_needs_the_key_of_the_dashboards_project(client, new_project, worker):
    owner, other = await new_project(), await new_project("Other")
    dashboard_id = await dashboard_of(client, owner)
    assert (await client.get(f"/api/v1/dashboards/{dashboard_id}/view")).status_code == 401
    foreign = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=other.auth)
    assert foreign.status_code == 404 and foreign.json()["code"] == "NOT_FOUND"


async def test_the_vega_bundle_is_served_by_dashloom_and_cached_for_good(client, new_project, worker):
    project = await new_project()
    html = (await client.get(f"/api/v1/dashboards/{await dashboard_of(client, project)}/view",
                             headers=project.auth)).text
    bundle_url = html.split('<script src="')[1].split('"')[0]
    assert bundle_url.startswith("/assets/vega-")
    bundle = await client.get(bundle_url)  # public: it holds no data
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert "immutable" in bundle.headers["cache-control"] and "window.vegaEmbed" in bundle.text
    again = await client.get(bundle_url, headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304
    script = await client.get("/assets/viewer.js")
    assert script.status_code == 200 and "vegaEmbed" in script.text
    for missing in ("/assets/nothing.js", "/assets/..%2Fpage.py", "/assets/.hidden"):
        answer = await client.get(missing)
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND"


async def test_a_premium_dashboard_asked_with_pdf_export_has_its_pdf(client, new_project, worker):
    premium = await new_project(plan="premium")
    dashboard_id = await dashboard_of(client, premium, title="Quarterly sales", allow_pdf_export="true")
    answer = await client.get(f"/api/v1/dashboards/{dashboard_id}/pdf", headers=premium.auth)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert f'filename="{dashboard_id}.pdf"' in answer.headers["content-disposition"]
    text, _ = pdf_text(answer.content)
    total = sum(sales()["amount"])
    assert "Quarterly sales" in text and f"{total / 1000:.1f}k" in text and "Total amount by region" in text


async def test_no_pdf_without_the_option_nor_for_another_project(client, new_project, worker):
    premium, other = await new_project(plan="premium"), await new_project("Other", plan="premium")
    without = await dashboard_of(client, premium)
    refused = await client.get(f"/api/v1/dashboards/{without}/pdf", headers=premium.auth)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    with_pdf = await dashboard_of(client, premium, allow_pdf_export="true")
    foreign = await client.get(f"/api/v1/dashboards/{with_pdf}/pdf", headers=other.auth)
    assert foreign.status_code == 404


async def test_scrollable_cards_hold_more_and_change_the_page_and_the_pdf(client, new_project, worker):
    premium = await new_project(plan="premium")
    frame = sales(400)
    grid = await dashboard_of(client, premium, frame, allow_pdf_export="true")
    scrollable = await dashboard_of(client, premium, frame, allow_pdf_export="true", allow_scrollable_cards="true")
    specs = {}
    for dashboard_id in (grid, scrollable):
        spec = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=premium.auth)).json()["data"]["spec"]
        specs[dashboard_id] = {card["id"]: card for card in spec["cards"]}
    assert len(specs[grid]["top-rows"]["rows"]) == 10 and len(specs[scrollable]["top-rows"]["rows"]) == 50
    page = (await client.get(f"/api/v1/dashboards/{scrollable}/view", headers=premium.auth)).text
    assert 'class="layout-scrollable"' in page
    grid_text, grid_pages = pdf_text((await client.get(f"/api/v1/dashboards/{grid}/pdf", headers=premium.auth)).content)
    scroll_text, scroll_pages = pdf_text(
        (await client.get(f"/api/v1/dashboards/{scrollable}/pdf", headers=premium.auth)).content)
    assert scroll_pages > grid_pages  # one card per row, each at its full length
    last_row = specs[scrollable]["top-rows"]["rows"][-1]["order_id"]
    assert last_row in scroll_text and last_row not in grid_text


async def test_the_base_map_of_map_cards_is_served_by_dashloom(client):
    answer = await client.get("/assets/land-110m.json")  # public: Natural Earth land, no user data
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert answer.json()["objects"]["land"]["type"] == "GeometryCollection"
