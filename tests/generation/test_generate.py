"""From an upload to a dashboard through the gateway, a real nats-server and a real worker."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import pytest

from contracts import DashboardRequested
from tests.generation.samples import encoded, sales


def form(content: bytes, filename: str = "data.csv", **fields: str):
    return {"files": {"file": (filename, content, "application/octet-stream")}, "data": fields}


async def generate(client, project, content: bytes, filename: str = "data.csv", headers=None, **fields):
    return await client.post("/api/v1/dashboards/generate", headers={**project.auth, **(headers or {})},
                             **form(content, filename, **fields))


async def completed(client, auth: dict, answer: dict) -> dict:
    """The generation's answer once it completed (a 202's is "processing": poll it)."""
    for _ in range(600):
        if answer["status"] == "completed":
            return answer
        assert answer["status"] == "processing", answer
        await asyncio.sleep(0.1)
        answer = (await client.get(f"/api/v1/generations/{answer['generation_id']}", headers=auth)).json()["data"]
    raise AssertionError(f"the generation did not complete: {answer}")


def uploads_left(settings) -> list[Path]:
    root = Path(settings.blob_dir) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_a_small_file_answers_with_its_dashboard(client, new_project, worker):
    project = await new_project()
    answer = await generate(client, project, encoded(sales(), "csv"), title="Q1 sales")
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["status"] == "completed" and data["percent"] == 100
    dashboard = data["dashboard"]
    assert dashboard["title"] == "Q1 sales"
    kinds = {card["id"]: card for card in dashboard["cards"]}
    assert all(card["rule"] for card in dashboard["cards"])
    assert "kpi-amount" in kinds and kinds["kpi-amount"]["value"] == pytest.approx(sum(sales()["amount"]))
    assert "kpi-discount_rate" in kinds and kinds["kpi-discount_rate"]["rule"].startswith("kpi.mean")
    assert any(card_id.startswith("trend-") for card_id in kinds)
    assert "breakdown-region" in kinds
    assert not any("order_id" in card_id for card_id in kinds)  # identifiers are never charted
    columns = {c["name"]: c["role"] for c in dashboard["columns"]}
    assert columns["order_id"] == "identifier" and columns["order_date"] == "time"
    got = await client.get(f"/api/v1/dashboards/{data['dashboard_id']}", headers=project.auth)
    assert got.json()["data"]["spec"]["cards"] == dashboard["cards"]


async def test_a_slow_generation_answers_202_and_can_be_polled(gateway_client, new_project, worker):
    client = await gateway_client(generation_sync_seconds=0.0)
    project = await new_project()
    answer = await generate(client, project, encoded(sales(), "csv"))
    assert answer.status_code == 202, answer.text
    accepted = answer.json()["data"]
    assert accepted["status"] == "processing" and accepted["generation_id"]
    for _ in range(200):
        status = (await client.get(f"/api/v1/generations/{accepted['generation_id']}", headers=project.auth)).json()
        if status.get("data", {}).get("status") == "completed":
            break
        await asyncio.sleep(0.05)
    assert status["data"]["status"] == "completed" and status["data"]["stage"] == "done"
    assert status["data"]["dashboard_id"]


async def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_generation(client, new_project,
                                                                                         worker, store):
    project = await new_project()
    key = {"Idempotency-Key": "upload-42"}
    first = await generate(client, project, encoded(sales(), "csv"), headers=key)
    again = await generate(client, project, encoded(sales(), "csv"), headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json()["data"]["generation_id"] == again.json()["data"]["generation_id"]
    log = [e async for batch in store.reader.batches() for e in batch]
    assert sum(e.type == "DashboardRequested" for e in log) == 1
    other = await generate(client, project, encoded(sales(), "csv"), headers={"Idempotency-Key": "upload-43"})
    assert other.json()["data"]["generation_id"] != first.json()["data"]["generation_id"]


@pytest.mark.parametrize("file_format", ["csv", "tsv", "json", "ndjson", "parquet", "xlsx"])
async def test_every_format_is_read_from_its_bytes_whatever_its_name(client, new_project, worker, file_format):
    project = await new_project()
    answer = await generate(client, project, encoded(sales(120), file_format), filename="upload.bin")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["dashboard"]["rows"] == 120


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return out.getvalue()


BAD_UPLOADS = {
    "empty": (b"", "data.csv", 422, "the file is empty"),
    "binary garbage": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "data.csv", 415, "not a data file"),
    "png named .xlsx": (b"\x89PNG\r\n\x1a\n\x00\x00" * 10, "report.xlsx", 415, "not a data file"),
    "zip bomb named .xlsx": (zip_bomb(), "bomb.xlsx", 413, "zip bomb"),
    "a 10 MB line": (b"a,b\n" + b"x" * (10 * 1024 * 1024) + b",1\n", "long.csv", 413, "line is longer"),
    "invalid UTF-8": (b"name,amount\nJos\xe9,3\n" * 10, "latin1.csv", 422, "not valid UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
async def test_a_bad_upload_gets_its_4xx_and_leaves_nothing(client, new_project, worker, store, settings, case):
    project = await new_project()
    before = await store.last_sequence()
    content, filename, status, message = BAD_UPLOADS[case]
    answer = await generate(client, project, content, filename)
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False and message in answer.json()["error"]
    assert await store.last_sequence() == before
    assert uploads_left(settings) == []


async def test_an_oversize_upload_without_content_length_is_cut_off(gateway_client, new_project, worker, store,
                                                                    settings):
    client = await gateway_client(max_upload_bytes=1024 * 1024)
    project = await new_project()
    before = await store.last_sequence()
    boundary = "dashloomtestboundary"

    async def body():  # chunked: no Content-Length for the gateway to check up front
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
               "Content-Type: text/csv\r\n\r\na,b\n").encode()
        for _ in range(64):
            yield b"1,2\n" * 16384
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = await client.post("/api/v1/dashboards/generate", content=body(), headers={
        **project.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 413 and answer.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert await store.last_sequence() == before
    assert uploads_left(settings) == []


async def test_premium_options_need_a_premium_plan(client, new_project, worker, store, settings):
    free = await new_project(plan="free")
    before = await store.last_sequence()
    refused = await generate(client, free, encoded(sales(), "csv"), allow_pdf_export="true")
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert await store.last_sequence() == before and uploads_left(settings) == []
    premium = await new_project(plan="premium")
    allowed = await generate(client, premium, encoded(sales(), "csv"), allow_scrollable_cards="true")
    assert allowed.status_code == 200
    assert allowed.json()["data"]["dashboard"]["options"]["allow_scrollable_cards"] is True


async def test_a_malformed_multipart_body_is_a_422(client, new_project, store, settings):
    project = await new_project()
    boundary = "88dbd5092ff0b8b93907e2ba83f9f761"
    answer = await client.post("/api/v1/dashboards/generate", content=(
        f"--{boundary}\r\n-562949953421313--{boundary}--\r\n").encode(), headers={
        **project.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR"
    assert uploads_left(settings) == []


async def test_a_missing_upload_fails_the_generation_with_a_reason(store, worker):
    requested = DashboardRequested(project_id="p1", aggregate_id="ghost", payload={
        "upload": {"name": "uploads/none", "sha256": "0" * 64, "size": 1}, "file_format": "csv"})
    await store.append(requested)
    for _ in range(200):
        types = [e.type for e in await store.load("generation", "ghost")]
        if "GenerationFailed" in types:
            break
        await asyncio.sleep(0.05)
    failed = (await store.load("generation", "ghost"))[-1].event
    assert failed.type == "GenerationFailed" and failed.payload.code == "UPLOAD_MISSING"


async def test_column_types_overrule_the_inference_end_to_end(client, new_project, worker):
    project = await new_project()
    types = '{"discount_rate": "measure:sum", "region": "identifier"}'
    answer = await generate(client, project, encoded(sales(), "csv"), column_types=types)
    assert answer.status_code == 200, answer.text
    dashboard = answer.json()["data"]["dashboard"]
    cards = {card["id"]: card for card in dashboard["cards"]}
    assert cards["kpi-discount_rate"]["query"]["aggregate"] == "sum"
    assert "column_types says measure:sum" in cards["kpi-discount_rate"]["rule"]
    assert cards["kpi-discount_rate"]["value"] == pytest.approx(sum(sales()["discount_rate"]))
    assert not any("region" in card["query"]["by"] for card in dashboard["cards"] if "query" in card)
    assert {c["name"]: c["role"] for c in dashboard["columns"]}["region"] == "identifier"


async def test_column_types_grain_says_what_a_row_is_end_to_end(client, new_project, worker):
    project = await new_project()
    answer = await generate(client, project, encoded(sales(), "csv"), column_types='{"grain": "entity"}')
    assert answer.status_code == 200, answer.text
    dashboard = answer.json()["data"]["dashboard"]
    assert dashboard["grain"] == "entity"
    lead = next(card for card in dashboard["cards"] if card["kind"] == "chart")
    assert "one entity: column_types says so" in lead["rule"]


@pytest.mark.parametrize(("types", "named"), [
    ('{"amount": "sideways"}', "'sideways' for column 'amount'"),
    ('{"grain": "molecule"}', "'molecule' for column 'grain'"),
    ('["amount"]', "JSON object"),
    ("{not json", "not JSON"),
])
async def test_column_types_of_unknown_types_are_a_422_and_leave_nothing(client, new_project, worker, store,
                                                                         settings, types, named):
    project = await new_project()
    before = await store.last_sequence()
    answer = await generate(client, project, encoded(sales(), "csv"), column_types=types)
    assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR"
    assert named in answer.json()["error"]
    assert await store.last_sequence() == before and uploads_left(settings) == []


async def test_column_types_naming_a_column_the_file_lacks_is_a_422_naming_it(client, new_project, worker):
    project = await new_project()
    answer = await generate(client, project, encoded(sales(), "csv"), column_types='{"stationid": "identifier"}')
    assert answer.status_code == 422 and answer.json()["code"] == "VALIDATION_ERROR"
    assert "stationid" in answer.json()["error"]


async def test_answers_carry_absolute_links_from_the_public_url(gateway_client, new_project, worker):
    own = await gateway_client()
    project = await new_project()
    answer = (await generate(own, project, encoded(sales(), "csv"))).json()["data"]
    dashboard_id = answer["dashboard_id"]
    assert answer["links"] == {"view": f"http://gateway.test/api/v1/dashboards/{dashboard_id}/view",
                               "spec": f"http://gateway.test/api/v1/dashboards/{dashboard_id}"}
    assert answer["dashboard"]["links"] == answer["links"]
    public = await gateway_client(public_url="https://dash.example.com/")
    got = (await public.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]
    assert got["links"]["view"] == f"https://dash.example.com/api/v1/dashboards/{dashboard_id}/view"
    assert got["spec"]["links"] == got["links"] and "pdf" not in got["links"]
    premium = await new_project(plan="premium")
    accepted = (await generate(public, premium, encoded(sales(), "csv"), allow_pdf_export="true")).json()["data"]
    pdf_id = (await completed(public, premium.auth, accepted))["dashboard_id"]  # a PDF may outlast the POST's wait
    with_pdf = (await public.get(f"/api/v1/dashboards/{pdf_id}", headers=premium.auth)).json()["data"]
    assert with_pdf["links"]["pdf"] == f"https://dash.example.com/api/v1/dashboards/{pdf_id}/pdf"
