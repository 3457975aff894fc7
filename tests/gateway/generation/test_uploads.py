"""Upload limits that hold however the bytes arrive (issue 11 §2, the gateway's side)."""

from __future__ import annotations

import asyncio
import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from contracts import GenerationFailed, GenerationStarted
from services.gateway.edge.envelope import ApiError
from services.gateway.generation.routes import generation_id_for
from services.gateway.generation.uploads import FileChecks, UploadLimits, check_xlsx
from tests.generation.samples import encoded, sales
from tests.polling import until

BOUNDARY = "dashloomtestboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture
async def api(gateway_client):
    return await gateway_client(generation_sync_seconds=0)


def part_head(name: str, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()


CLOSE = f"\r\n--{BOUNDARY}--\r\n".encode()


def dribbled(content: bytes, piece: int = 1000):
    async def body():
        yield part_head("file", "wide.csv")
        for start in range(0, len(content), piece):
            yield content[start:start + piece]
        yield CLOSE
    return body()


def uploads_left(settings) -> list[Path]:
    root = Path(settings.blob_dir) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def post(api, project, body):
    return await api.post("/api/v1/dashboards/generate", content=body,
                          headers={**project.auth, "Content-Type": MULTIPART})


def header_of(columns: int, name_bytes: int = 6) -> bytes:
    names = [f"c{n}".rjust(name_bytes, "x") for n in range(columns)]
    return (",".join(names) + "\n" + ",".join("1" for _ in names) + "\n").encode()


async def test_a_wide_header_dribbled_in_small_pieces_is_refused(api, new_project, store, settings):
    project = await new_project()
    before = await store.last_sequence()
    answer = await post(api, project, dribbled(header_of(100_000)))
    assert answer.status_code == 413, answer.text
    assert "columns" in answer.json()["error"]
    assert await store.last_sequence() == before and uploads_left(settings) == []


async def test_a_header_at_the_column_limit_passes_however_it_is_chunked(api, new_project):
    project = await new_project()
    for piece in (7, 1000, 1 << 20):
        answer = await post(api, project, dribbled(header_of(1000), piece))
        assert answer.status_code == 202, answer.text


async def test_a_column_name_too_long_for_a_metric_id_is_refused(api, new_project, store):
    project = await new_project()
    before = await store.last_sequence()
    content = b"date," + b"n" * 300 + b",amount\n2024-01-01,1,2\n"
    answer = await post(api, project, dribbled(content, 50))
    assert answer.status_code == 422 and "column name" in answer.json()["error"]
    assert await store.last_sequence() == before


async def test_two_file_parts_are_a_422_not_one_file(api, new_project, store, settings):
    project = await new_project()
    before = await store.last_sequence()
    body = (part_head("file", "a.csv") + b"a,b\n1,2\n" + b"\r\n" + part_head("file", "b.csv") + b"a,b\n3,4\n" + CLOSE)
    answer = await post(api, project, body)
    assert answer.status_code == 422 and answer.json()["error"].startswith("file")
    assert await store.last_sequence() == before and uploads_left(settings) == []


async def test_a_body_without_its_closing_boundary_is_a_400(api, new_project, store, settings):
    project = await new_project()
    before = await store.last_sequence()
    answer = await post(api, project, part_head("file", "a.csv") + b"a,b\n1,2\n" * 100)
    assert answer.status_code == 400 and answer.json()["code"] == "BAD_REQUEST", answer.text
    assert await store.last_sequence() == before and uploads_left(settings) == []


def lying_workbook(sheet: bytes, declared: int) -> bytes:
    """A zip whose directory (central and local) declares `declared` bytes for the sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    data = bytearray(out.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    local = data.rindex(b"PK\x03\x04", 0, data.index(name) + 1)
    struct.pack_into("<I", data, local + 22, declared)
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(name) + 1)
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def refusal(path: Path, limits: UploadLimits) -> tuple[int, str] | None:
    try:
        check_xlsx(path, limits)
    except ApiError as error:
        return error.status, error.error
    return None


def _checked(data: bytes, limits: UploadLimits, chunk: int) -> FileChecks:
    checks = FileChecks(limits)
    for start in range(0, len(data), chunk):
        checks.feed(data[start:start + chunk])
    checks.finish()
    return checks


@pytest.mark.parametrize("chunk", [3, 4096, 1 << 20])
def test_rows_are_counted_however_the_file_is_chunked_and_one_past_the_limit_is_refused(chunk: int):
    lines = [b"day,amount"] + [b"2021-01-%02d,%d" % (day % 28 + 1, day) for day in range(5999)]
    data = b"\n".join(lines) + b"\n"
    assert _checked(data, UploadLimits(max_rows=6000), chunk).rows == 6000
    assert _checked(data[:-1], UploadLimits(max_rows=6000), chunk).rows == 6000  # no newline after the last
    with pytest.raises(ApiError) as refused:
        _checked(data + b"2021-02-01,1\n", UploadLimits(max_rows=6000), chunk)
    assert refused.value.status == 413 and "more than 6000 rows" in refused.value.error


def test_a_workbook_whose_directory_understates_its_size_is_refused_by_what_it_inflates_to(tmp_path):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(lying_workbook(b"<c/>" * (20 * 1024 * 1024), declared=16 * 1024))  # 80 MB inflated
    status, message = refusal(path, UploadLimits())
    assert status == 413 and "zip bomb" in message


def test_the_inflation_budget_holds_for_data_that_compresses_little(tmp_path):
    path = tmp_path / "dense.xlsx"
    path.write_bytes(lying_workbook(os.urandom(3 * 1024 * 1024).hex().encode(), declared=1024))
    status, message = refusal(path, UploadLimits(max_xlsx_uncompressed=2 * 1024 * 1024))
    assert status == 413 and "zip bomb" in message


def test_a_workbook_declaring_more_than_it_holds_is_not_readable(tmp_path):
    path = tmp_path / "liar.xlsx"
    path.write_bytes(lying_workbook(b"<row/>" * 100, declared=601))
    assert refusal(path, UploadLimits()) == (422, "the workbook's declared sizes do not match its contents")


def test_a_real_workbook_passes(tmp_path):
    path = tmp_path / "sales.xlsx"
    path.write_bytes(encoded(sales(), "xlsx"))
    assert refusal(path, UploadLimits()) is None


async def test_a_lying_workbook_upload_is_refused_and_leaves_nothing(api, new_project, store, settings):
    project = await new_project()
    before = await store.last_sequence()
    content = lying_workbook(b"<c/>" * (20 * 1024 * 1024), declared=16 * 1024)
    answer = await post(api, project, part_head("file", "bomb.xlsx") + content + CLOSE)
    assert answer.status_code == 413 and "zip bomb" in answer.json()["error"]
    assert await store.last_sequence() == before and uploads_left(settings) == []


async def test_the_answer_wakes_on_the_outcome_stored_while_it_waits(gateway_client, new_project, store):
    """No worker runs: the test stores the outcome itself while the POST waits (up to a minute)."""
    client = await gateway_client(generation_sync_seconds=60)
    project = await new_project()
    generation_id = generation_id_for(project.project_id, "wakes-1")
    answering = asyncio.create_task(client.post(
        "/api/v1/dashboards/generate", headers={**project.auth, "Idempotency-Key": "wakes-1"},
        files={"file": ("data.csv", encoded(sales(), "csv"), "text/csv")}))
    assert await until(lambda: store.aggregate_version("generation", generation_id), 10)
    assert not answering.done()
    first = (await store.load("generation", generation_id))[0].event
    await store.append_many([first.caused(GenerationStarted, payload={"worker": "test"}),
                             first.caused(GenerationFailed, payload={"code": "EMPTY_FILE", "reason": "no rows"})])
    answer = await asyncio.wait_for(answering, 30)
    assert answer.status_code == 422 and answer.json()["error"].endswith("no rows")


async def test_an_outcome_that_does_not_come_within_the_wait_answers_202(gateway_client, new_project):
    client = await gateway_client(generation_sync_seconds=0.3)
    project = await new_project()
    answer = await client.post("/api/v1/dashboards/generate", headers=project.auth,
                               files={"file": ("data.csv", encoded(sales(), "csv"), "text/csv")})
    assert answer.status_code == 202
    assert answer.json()["data"] == {"generation_id": answer.json()["data"]["generation_id"],
                                     "status": "processing", "stage": "queued", "percent": 0}
