"""What a premium dashboard's PDF costs: drawn in its own process (services/generation/pdf.py)
under the worker's default address-space cap, on numbered A4 pages; beside the baseline, its
charts in one tall Vega-Lite page drawn in this process as the worker once did (possible only
without the cap: under it V8 aborts), which pays no process start, no paging, no KPIs or tables.

    .venv/bin/python bench/pdf.py [--datasets AirPassengers.csv Salaries.csv Weather.csv] [--runs 3]

The datasets are the shared ones beside the repository (../shared/datasets). Printed per
dataset and layout: pages, the median seconds of each way and their ratio, and the PDF process's
peak resident memory.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import vl_convert  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from services.generation.app import limit_address_space  # noqa: E402
from services.generation.choosing import choose_cards  # noqa: E402
from services.generation.pdf import dashboard_pdf  # noqa: E402
from services.generation.pdf_pages import xml_clean  # noqa: E402
from services.generation.profile import profile_table  # noqa: E402
from services.generation.reading import columnar_table  # noqa: E402
from services.runtime.settings import Settings  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"


def spec_of(path: Path, scrollable: bool) -> dict:
    with tempfile.TemporaryDirectory() as work:
        spec = choose_cards(profile_table(columnar_table(path, "csv", Path(work)), None), path.stem, scrollable)
    return {**spec, "layout": "scrollable" if scrollable else "grid"}


def one_tall_page(spec: dict) -> bytes:
    """The baseline: every card in one Vega-Lite vconcat, one page, in this process."""
    cards = [card["vega_lite"] for card in spec["cards"] if card["kind"] == "chart" and not card["id"].startswith("map-")]
    charts = [{key: value for key, value in view.items() if key != "$schema"} for view in cards]
    return vl_convert.vegalite_to_pdf(xml_clean({"title": spec["title"], "vconcat": charts}))


def median_seconds(draw, runs: int) -> tuple[float, bytes]:
    times, pdf = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        pdf = draw()
        times.append(time.perf_counter() - started)
    return statistics.median(times), pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", nargs="+", default=["AirPassengers.csv", "Salaries.csv", "Weather.csv"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    specs = [(name, spec_of(DATASETS / name, scrollable)) for name in args.datasets for scrollable in (False, True)]
    baselines = {f"{name} {spec['layout']}": median_seconds(lambda s=spec: one_tall_page(s), args.runs)[0]
                 for name, spec in specs}  # drawn before the cap: under it this process would abort
    limit_address_space(Settings().generation_memory_bytes)
    print(f"{'dashboard':32} {'pages':>5} {'paged, own process':>19} {'charts, one page':>19} {'ratio':>6}")
    for name, spec in specs:
        label = f"{name} {spec['layout']}"
        seconds, pdf = median_seconds(lambda s=spec: dashboard_pdf(s, "A4"), args.runs)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"{label:32} {pages:5d} {seconds:17.2f} s {baselines[label]:17.2f} s {seconds / baselines[label]:6.2f}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory of a PDF process: {peak:.0f} MB (its cap: written memory, RLIMIT_DATA)")


if __name__ == "__main__":
    main()
