"""A premium dashboard's PDF: drawn by a worker process under the default settings (its
address-space cap included), on A4 or Letter pages, with the title whole, the KPIs' notes and page
numbers; checked with poppler's pdfinfo, pdftotext and pdftoppm."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx
import polars as pl
import pytest
from pypdf import PdfReader

from contracts import DashboardRequested
from services.eventlog.blobs import DiskBlobStore
from services.generation.choosing import choose_cards
from services.generation.pdf import PdfNotDrawn, dashboard_pdf
from services.generation.profile import profile_table
from services.runtime.nats_server import free_port
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import completed
from tests.generation.test_worker_crash import until
from tests.platform.test_nats_outage import first_key, key_works
from tests.platform.test_platform import everything_up, start_platform, wait_for_health

TITLE = "Unemployment and population across the two years the survey ran, by month"
A4, LETTER = (595.28, 841.89), (612.0, 792.0)


def unemployment() -> pl.DataFrame:
    """Two years by month: its latest unemployment rate is a KPI with a note, "in Dec 2015"."""
    months = [date(2014 + m // 12, m % 12 + 1, 1).isoformat() for m in range(24)]
    return pl.DataFrame({"month": months, "unemployment_rate": [5.0 + 0.1 * m for m in range(24)],
                         "population": [1000 + m for m in range(24)]})


def spec_of(frame: pl.DataFrame, layout: str) -> dict:
    spec = choose_cards(profile_table(frame, None), TITLE, layout == "scrollable")
    return {**spec, "layout": layout}


def start_worker(nats_url: str, state: Path) -> subprocess.Popen:
    """`python -m services.generation` as `dashloom up` starts it, with every other setting default."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("DASHLOOM_")}
    return subprocess.Popen([sys.executable, "-m", "services.generation"], env={
        **environment, "DASHLOOM_NATS_URL": nats_url, "DASHLOOM_STATE_DIR": str(state)})


async def drawn_by_a_worker(nats_server, store, state: Path) -> bytes:
    blobs = DiskBlobStore(state / "blobs")

    async def upload():
        yield encoded(unemployment(), "csv")

    ref = await blobs.put("uploads/p1/pdf/1", upload())
    worker = start_worker(nats_server.url, state)
    try:
        await store.append(DashboardRequested(project_id="p1", aggregate_id="pdf", payload={
            "upload": ref, "file_format": "csv", "title": TITLE, "options": {"allow_pdf_export": True}}))
        events = await until(lambda: store.load("generation", "pdf"), lambda seen: worker.poll() is not None or any(
            e.type in ("GenerationCompleted", "GenerationFailed") for e in seen), timeout=120, every=0.2)
        assert worker.poll() is None, "the worker died"  # as it did when V8 ran under its address-space cap
    finally:
        worker.terminate()
        worker.wait(20)
    outcome = events[-1].event
    assert outcome.type == "GenerationCompleted", outcome.payload
    return b"".join([chunk async for chunk in blobs.read(outcome.payload.pdf.name)])


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True)
    return [(float(w), float(h)) for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info.stdout)]


def words_outside_the_page(pdf: Path, width: float, height: float) -> list[str]:
    """Words whose box leaves the page's margins (36 pt, less what a chart's padding takes): a
    clipped title would be one."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    outside = []
    for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>', boxes):
        if float(x0) < 30 or float(y0) < 30 or float(x1) > width - 30 or float(y1) > height - 9:
            outside.append(word)
    return outside


def ink(pgm: Path) -> float:
    """The share of a grey page's pixels that are not white."""
    header, _, pixels = pgm.read_bytes().partition(b"\n255\n")
    return sum(pixel < 200 for pixel in pixels) / len(pixels)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_a_premium_pdf_is_drawn_under_the_default_settings_on_numbered_a4_pages(nats_server, store, tmp_path):
    pdf = tmp_path / "dashboard.pdf"
    pdf.write_bytes(await drawn_by_a_worker(nats_server, store, tmp_path / "state"))
    sizes = page_sizes(pdf)
    assert sizes and all(size == A4 for size in sizes), sizes
    text = " ".join(text_of(pdf.read_bytes()).split())
    assert TITLE in text  # wrapped over lines, but whole
    assert "unemployment rate 7.30 in Dec 2015" in text  # the KPI, its value and what it is of
    assert all(f"page {n} of {len(sizes)}" in text for n in range(1, len(sizes) + 1))
    assert words_outside_the_page(pdf, *A4) == []
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    assert sorted(p.name for p in tmp_path.glob("page-*.png")) == [f"page-{n}.png" for n in range(1, len(sizes) + 1)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tmp_path.glob("page-*.png"))
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "grey")], check=True)
    assert 0.02 < ink(next(tmp_path.glob("grey-*.pgm"))) < 0.5  # drawn on, and not a black page


def test_letter_pages_by_the_setting_and_a_long_table_continued_on_the_next_page(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHLOOM_PDF_PAGE_SIZE", "Letter")
    spec = spec_of(sales(400), "scrollable")
    pdf = tmp_path / "scrollable.pdf"
    pdf.write_bytes(dashboard_pdf(spec))
    sizes = page_sizes(pdf)
    assert len(sizes) > 1 and all(size == LETTER for size in sizes), sizes
    text = text_of(pdf.read_bytes())
    rows = next(card for card in spec["cards"] if card["id"] == "top-rows")["rows"]
    assert len(rows) == 50 and rows[0]["order_id"] in text and rows[-1]["order_id"] in text
    assert f"page {len(sizes)} of {len(sizes)}" in text
    assert words_outside_the_page(pdf, *LETTER) == []


def test_a_pdf_that_cannot_be_drawn_is_an_error_that_says_why():
    with pytest.raises(PdfNotDrawn, match="exited with 1.*B5"):
        dashboard_pdf(spec_of(unemployment(), "grid"), "B5")


def test_control_characters_from_the_file_are_left_out_rather_than_aborting_the_drawing():
    """vl-convert aborts its process measuring a text with one (a panic in Rust, not an error)."""
    frame = pl.DataFrame({"re\x01gion": ["No\x02rth", "South\x0b", "East", "West"] * 25, "amount": list(range(100))})
    spec = {**spec_of(frame, "grid"), "title": "Sales\x00 <&> by region"}
    text = text_of(dashboard_pdf(spec, "A4"))
    assert "Sales <&> by region" in text and "North" in text and "South" in text


def test_the_worker_keeps_its_address_space_cap_and_the_pdf_process_lifts_it():
    """The worker's cap still refuses a huge allocation (an upload's); a PDF process it starts
    can lift it, since only the soft limit was set, and caps its written memory instead."""
    script = (
        "import resource\n"
        "from services.generation.app import limit_address_space\n"
        "from services.generation.pdf import PDF_DATA_BYTES, cap_memory\n"
        "limit_address_space(1024**3)\n"
        "try:\n"
        "    bytearray(2 * 1024**3)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('refused')\n"
        "cap_memory(PDF_DATA_BYTES)\n"
        "print(resource.getrlimit(resource.RLIMIT_AS)[0] == resource.getrlimit(resource.RLIMIT_AS)[1] != 1024**3,\n"
        "      resource.getrlimit(resource.RLIMIT_DATA)[0] == PDF_DATA_BYTES)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["refused", "True", "True"]


@pytest.mark.timeout(180)
async def test_a_premium_pdf_from_dashloom_up_with_the_default_settings(tmp_path):
    """The whole platform as `make up` starts it: upload with allow_pdf_export, then GET its /pdf."""
    state, port = tmp_path / "state", free_port()
    platform = start_platform(state, port)
    try:
        await asyncio.to_thread(wait_for_health, port, everything_up)
        auth = {"Authorization": f"Bearer {await first_key((state / 'nats-url').read_text())}"}  # a premium project
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await key_works(client, auth)
            answer = await client.post("/api/v1/dashboards/generate", headers=auth, data={
                "title": TITLE, "allow_pdf_export": "true"}, files={"file": ("jobs.csv", encoded(unemployment(), "csv"))})
            assert answer.status_code in (200, 202), answer.text
            done = await completed(client, auth, answer.json()["data"])
            pdf = await client.get(f"/api/v1/dashboards/{done['dashboard_id']}/pdf", headers=auth)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        path = tmp_path / "from-up.pdf"
        path.write_bytes(pdf.content)
        assert set(page_sizes(path)) == {A4}
        assert "in Dec 2015" in " ".join(text_of(pdf.content).split())
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "up")], check=True)
        assert list(tmp_path.glob("up-*.png"))
    finally:
        platform.send_signal(signal.SIGINT)
        try:
            platform.wait(30)
        except subprocess.TimeoutExpired:
            platform.kill()
