"""The 17 public datasets in ../shared/datasets, each uploaded as a new user would: through the
gateway, the bus and a real worker; their answers pass ../shared/tools/check_dashboard.py, and
every page draws in Chromium (screenshots in test-artifacts/datasets/, to look at).

One backend only: this is about what the dashboards say, not about the read models.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.generation.test_generate import generate
from tests.generation.test_viewer_browser import ARTIFACTS, open_dashboard

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DATASETS = SHARED / "datasets"
CHECKER = SHARED / "tools" / "check_dashboard.py"
FILES = sorted(p for p in DATASETS.glob("*.csv")) if DATASETS.is_dir() else []


async def dashboard_answer(client, project, path: Path) -> dict:
    """The generation's answer, waiting for it when the POST answers 202."""
    answer = await generate(client, project, path.read_bytes(), filename=path.name, title=path.stem)
    assert answer.status_code in (200, 202), f"{path.name}: {answer.text}"
    body = answer.json()
    generation_id = body["data"]["generation_id"]
    for _ in range(1200):
        if body["data"].get("status") == "completed":
            break
        assert body["data"].get("status") != "failed", f"{path.name}: {body}"
        await asyncio.sleep(0.1)
        body = (await client.get(f"/api/v1/generations/{generation_id}", headers=project.auth)).json()
    dashboard_id = body["data"]["dashboard_id"]
    got = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]
    return {"data": {**got, "dashboard": got.pop("spec")}}  # as the checker reads an answer


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_dataset_gets_a_dashboard_its_owner_would_keep(served, browser, client, new_project,  # noqa: F811
                                                                    worker, database_url):
    assert len(FILES) == 17, f"the datasets are beside the repository: {DATASETS}"
    project = await new_project()
    out = ARTIFACTS / "datasets"
    out.mkdir(parents=True, exist_ok=True)
    saved, problems = [], {}
    for path in FILES:
        answer = await dashboard_answer(client, project, path)
        links = answer["data"]["links"]
        assert links["view"].startswith("http://") and links["view"].endswith("/view")
        saved.append(out / f"{path.name}.json")
        saved[-1].write_text(json.dumps(answer, indent=1))
        view = links["view"].replace("http://gateway.test", served)
        page, seen = await open_dashboard(browser, view, project.key.key, f"datasets/{path.name}.png")
        charts = await page.locator(".chart").count()
        if seen or await page.get_attribute("body", "data-charts") != "drawn" \
                or await page.locator(".chart svg").count() != charts:
            problems[path.name] = seen or ["a chart did not draw"]
        overflowing = await page.locator(".card-kpi .value").evaluate_all(
            "values => values.filter(v => v.scrollWidth > v.clientWidth + 1).map(v => v.textContent)")
        if overflowing:
            problems[path.name] = [f"KPI values overflow their cards: {overflowing}"]
        await page.context.close()
    checked = subprocess.run([sys.executable, str(CHECKER), str(DATASETS / "expectations.json"), *map(str, saved)],
                             capture_output=True, text=True)
    print(checked.stdout)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count(": PASS") == 17
    assert problems == {}
