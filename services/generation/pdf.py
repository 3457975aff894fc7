"""The dashboard as a PDF, drawn in a child process with a memory cap of its own.

No browser: vl-convert embeds the same Vega-Lite the viewer page runs (pdf_pages.py lays it out).
Why a child: vl-convert's V8 reserves far more address space than it ever writes to (Oilpan's
CagedHeap alone: tens of GiB), so under the worker's address-space cap (RLIMIT_AS,
DASHLOOM_GENERATION_MEMORY_BYTES) it aborts the whole process ("Fatal process out of memory");
measured with vl-convert 1.9: it aborts under 8 and 64 GiB, draws under 300 GiB. The child lifts
the address-space cap it inherits and caps what it may write instead (RLIMIT_DATA), which V8's
reservations do not count against; its input, a spec, is bounded, so its need is too. The worker
keeps its own cap against huge uploads.
"""

from __future__ import annotations

import resource
import subprocess
import sys

import orjson

from services.runtime.settings import Settings

# What drawing may write. V8 counts its code range as data: it will not start under 0.6 GiB, does
# under 0.75 GiB; the shared datasets' dashboards peak under 0.3 GB resident (bench/pdf.py). A spec
# is bounded (cards hold at most 50 rows), so 2 GiB leaves room and still bounds it.
PDF_DATA_BYTES = 2 * 1024**3
PDF_TIMEOUT_SECONDS = 300.0


class PdfNotDrawn(RuntimeError):
    pass


def dashboard_pdf(spec: dict, page_size: str | None = None) -> bytes:
    """The PDF of `spec`, on `page_size` pages (DASHLOOM_PDF_PAGE_SIZE when None)."""
    if page_size is None:
        page_size = Settings().pdf_page_size
    request = orjson.dumps({"spec": spec, "page_size": page_size})
    try:
        done = subprocess.run([sys.executable, "-m", "services.generation.pdf"], input=request,
                              capture_output=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise PdfNotDrawn(f"drawing the PDF took more than {PDF_TIMEOUT_SECONDS:.0f} s") from None
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        raise PdfNotDrawn(f"the PDF process exited with {done.returncode}: {_why(done.stderr)}")
    return done.stdout


def _why(stderr: bytes) -> str:
    """The lines that say what went wrong (a Python error, V8's or Rust's abort), not a backtrace."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    telling = [line for line in lines if any(word in line.lower() for word in ("error", "fatal", "panicked", "failed"))]
    return " | ".join((telling or lines)[-3:])


def cap_memory(data_bytes: int) -> None:
    """Lift the inherited address-space cap to its hard limit, cap written memory instead."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))


def main() -> None:
    cap_memory(PDF_DATA_BYTES)
    request = orjson.loads(sys.stdin.buffer.read())
    from services.generation.pdf_pages import paged_pdf  # after the cap: it loads vl-convert's V8

    sys.stdout.buffer.write(paged_pdf(request["spec"], request["page_size"]))


if __name__ == "__main__":
    main()
