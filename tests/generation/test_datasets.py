"""The 41 public datasets in ../shared/datasets (`.csv.gz` ones too), each made into a dashboard
that ../shared/tools/check_dashboard.py accepts.

Two tests: one per dataset runs the worker's own steps (read, profile, choose) and the checker,
so a dataset that still falls short is one strict expected failure with its reason, and the list
can only shrink; one uploads every dataset as a new user would, through the gateway, the bus and a
real worker, checks the answers the same way and draws every page in Chromium (screenshots in
test-artifacts/datasets/, to look at). One backend only: this is about what dashboards say.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.generation.choosing import choose_cards
from services.generation.profile import profile_table
from services.generation.reading import columnar_table
from tests.generation.test_generate import generate
from tests.generation.test_viewer_browser import ARTIFACTS, open_dashboard

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DATASETS = SHARED / "datasets"
CHECKER = SHARED / "tools" / "check_dashboard.py"
FILES = sorted(p for p in DATASETS.glob("*.csv*") if p.name.endswith((".csv", ".csv.gz"))) if DATASETS.is_dir() else []
DATASET_COUNT = 41

# What each dataset that still fails lacks (issue 19): a strict xfail, so one that starts passing fails
# the suite until it leaves this list.
STILL_FAILING: dict[str, str] = {
}


def table_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


def check(saved: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKER), str(DATASETS / "expectations.json"), *map(str, saved)],
                          capture_output=True, text=True)


def test_the_datasets_are_all_here():
    assert len(FILES) == DATASET_COUNT, f"the datasets are beside the repository: {DATASETS}"
    assert set(STILL_FAILING) <= {p.name for p in FILES}


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.name, marks=[pytest.mark.xfail(strict=True, reason=STILL_FAILING[p.name])]
                 if p.name in STILL_FAILING else []) for p in FILES])
def test_each_dataset_passes_the_checker(path: Path, tmp_path: Path):
    table = tmp_path / path.name.removesuffix(".gz")
    table.write_bytes(table_bytes(path))
    profile = profile_table(columnar_table(table, "csv", tmp_path))
    saved = tmp_path / f"{path.name}.json"
    saved.write_text(json.dumps({"data": {"dashboard": choose_cards(profile, path.stem)}}, default=str))
    checked = check([saved])
    assert checked.returncode == 0 and ": PASS" in checked.stdout, checked.stdout


async def dashboard_answer(client, project, path: Path) -> dict:
    """The generation's answer, waiting for it when the POST answers 202."""
    name = path.name.removesuffix(".gz")
    answer = await generate(client, project, table_bytes(path), filename=name, title=Path(name).stem)
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


@pytest.mark.timeout(1200)  # 41 uploads drawn in Chromium: 75 s on a quiet machine, 5 min or more on a busy one
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_dataset_through_the_platform_draws_and_passes(served, browser, client, new_project,
                                                                  worker, database_url):
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
    checked = check(saved)
    print(checked.stdout)
    passed = {line.split(":")[0] for line in checked.stdout.splitlines() if line.endswith(": PASS")}
    assert passed == {p.name for p in FILES} - set(STILL_FAILING), checked.stdout
    assert problems == {}
