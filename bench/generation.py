"""Upload-to-dashboard time of a 5,000,000-row sales CSV beside two baselines, in one run.

    .venv/bin/python bench/generation.py [--rows 5000000] [--rounds 2]

  (a) dashloom  POST /api/v1/dashboards/generate through the real gateway process, the upload
                streamed to the blob store, DashboardRequested appended, a real generation worker
                process; timed until GenerationCompleted is in the log
  (b) polars    the bare Polars read and profile of the same file, in a fresh process:
                read_csv, describe() (Polars' own profile: count, nulls, mean, std, min,
                quartiles, max) and every column's distinct count; the leaner (b') keeps only
                nulls, distinct, min, max, mean and std, and is printed beside it
  (c) ydata     ydata-profiling in minimal mode on the same file (pandas read_csv included), in
                its own venv (.venv-peer, from bench/peer-requirements.txt: its pins clash with ours)
The worker's peak memory is its VmHWM (peak resident set, /proc) after the job, beside the
file's size. Rounds of (a) and (b) alternate; the best of each is compared.
Targets (issue 19): (a) within 1.5x of (b) and of (b'); (a) at least 20x faster than (c); worker peak
under the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.listening import wait_listening  # noqa: E402
from services.eventlog.connection import connect  # noqa: E402
from services.eventlog.store import EventStore  # noqa: E402
from services.gateway.project.commands import create_project  # noqa: E402
from services.platform.up import prepare_bus  # noqa: E402
from services.runtime.nats_server import NatsServer, free_port  # noqa: E402

PEER_VENV = ROOT / ".venv-peer"

BARE_POLARS = """
import sys, time, polars as pl
started = time.perf_counter()
frame = pl.read_csv(sys.argv[1], try_parse_dates=True)
frame.describe()
frame.select(pl.all().n_unique())
print(time.perf_counter() - started)
"""

LEAN_POLARS = """
import sys, time, polars as pl
started = time.perf_counter()
frame = pl.read_csv(sys.argv[1], try_parse_dates=True)
stats = [pl.len()]
for name, dtype in frame.schema.items():
    column = pl.col(name)
    stats += [column.null_count().alias(name + ".nulls"), column.n_unique().alias(name + ".distinct")]
    if dtype.is_numeric() or dtype.is_temporal():
        stats += [column.min().alias(name + ".min"), column.max().alias(name + ".max")]
    if dtype.is_numeric():
        stats += [column.mean().alias(name + ".mean"), column.std().alias(name + ".std")]
frame.select(stats)
print(time.perf_counter() - started)
"""

YDATA_MINIMAL = """
import sys, time, pandas as pd
from ydata_profiling import ProfileReport
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1], parse_dates=["order_date"])
ProfileReport(frame, minimal=True, progress_bar=False).to_json()
print(time.perf_counter() - started)
"""


def write_sales_csv(path: Path, rows: int) -> None:
    """Sales as a shop exports them: an order id, a date over three years, region, product,
    quantity, unit price, discount rate and amount (~55 bytes a row)."""
    n = pl.int_range(0, rows, dtype=pl.Int64)
    regions = pl.lit(pl.Series(["North", "South", "East", "West", "Central"]))
    pl.select(
        order_id=pl.format("ORD-{}", n.cast(pl.String).str.zfill(7)),
        order_date=pl.date(2021, 1, 1) + pl.duration(days=n % 1095),
        region=regions.gather(n.hash(1) % 5),
        product=pl.format("Product {}", n.hash(2) % 40),
        quantity=(n.hash(3) % 9 + 1).cast(pl.Int32),
        unit_price=((n.hash(4) % 20000) / 100 + 1).round(2),
        discount_rate=((n.hash(5) % 6) * 0.05).round(2),
    ).with_columns(amount=(pl.col("quantity") * pl.col("unit_price") * (1 - pl.col("discount_rate"))).round(2)
                   ).write_csv(path)


def ensure_peer_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "bench" / "peer-requirements.txt")], check=True)
    return python


def timed_script(python: Path | str, script: str, path: Path) -> float:
    out = subprocess.run([str(python), "-c", script, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


async def seed_project(url: str) -> str:
    await prepare_bus(url, 1)
    nc = await connect(url, "bench")
    _, key = await create_project(EventStore(nc.jetstream()), "bench", "free")
    await nc.close()
    return key.key


async def generate_through_api(nats_url: str, gateway: str, key: str, path: Path) -> float:
    """Seconds from the start of the upload to GenerationCompleted in the log."""
    nc = await connect(nats_url, "bench-watch")
    done: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_event(msg) -> None:
        if msg.headers and msg.headers.get("Dashloom-Type") in ("GenerationCompleted", "GenerationFailed"):
            if not done.done():
                done.set_result((time.perf_counter(), msg.headers["Dashloom-Type"], orjson.loads(msg.data)))

    await nc.subscribe("events.generation.>", cb=on_event)
    await nc.flush()
    started = time.perf_counter()
    await asyncio.to_thread(upload, gateway, key, path)
    uploaded = time.perf_counter() - started
    finished, kind, event = await asyncio.wait_for(done, 600)
    await nc.close()
    assert kind == "GenerationCompleted", event
    print(f"  the upload was answered after {uploaded:.2f} s")
    return finished - started


def upload(gateway: str, key: str, path: Path) -> None:
    """POST the file as a user's backend would: curl where there is one (it streams the file at
    disk speed), else httpx."""
    url = f"{gateway}/api/v1/dashboards/generate"
    if shutil.which("curl"):
        answer = subprocess.run(["curl", "-sS", "-H", f"Authorization: Bearer {key}", "-F", f"file=@{path}",
                                 "-F", "title=Sales", "-w", "\n%{http_code}", url], capture_output=True, text=True)
        status = answer.stdout.rstrip().rsplit("\n", 1)[-1]
        assert status in ("200", "202"), answer.stdout + answer.stderr
        return
    with open(path, "rb") as file:
        reply = httpx.post(url, headers={"Authorization": f"Bearer {key}"}, timeout=600,
                           files={"file": ("sales.csv", file, "text/csv")}, data={"title": "Sales"})
    assert reply.status_code in (200, 202), reply.text



def main(rows: int, rounds: int, with_ydata: bool) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "sales.csv"
        write_sales_csv(path, rows)
        size = path.stat().st_size
        print(f"file: {rows:,} rows, {size / 1e6:,.0f} MB")
        server = NatsServer(Path(work) / "nats").start()
        key = asyncio.run(seed_project(server.url))
        port = free_port()
        environment = {**os.environ, "DASHLOOM_NATS_URL": server.url, "DASHLOOM_STATE_DIR": str(Path(work) / "state"),
                       "DASHLOOM_HTTP_PORT": str(port), "DASHLOOM_GENERATION_SYNC_SECONDS": "0"}
        gateway = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=environment, cwd=ROOT)
        try:
            wait_listening(f"http://127.0.0.1:{port}/api/v1/health")
            dashloom, polars_times, lean_times, peaks = [], [], [], []
            for round_ in range(rounds):
                # a fresh worker each round, so its peak memory is this job's
                worker = subprocess.Popen([sys.executable, "-m", "services.generation"], env=environment, cwd=ROOT)
                time.sleep(3)
                idle = peak_rss(worker.pid)
                dashloom.append(asyncio.run(generate_through_api(server.url, f"http://127.0.0.1:{port}", key, path)))
                peaks.append((idle, peak_rss(worker.pid)))
                worker.terminate()
                worker.wait(30)
                polars_times.append(timed_script(sys.executable, BARE_POLARS, path))
                lean_times.append(timed_script(sys.executable, LEAN_POLARS, path))
                print(f"round {round_ + 1}: dashloom {dashloom[-1]:.2f} s, bare polars {polars_times[-1]:.2f} s "
                      f"(lean {lean_times[-1]:.2f} s), "
                      f"worker peak {peaks[-1][1] / 1e6:,.0f} MB")
        finally:
            gateway.terminate()
            gateway.wait(30)
            server.stop()
        a, b = min(dashloom), min(polars_times)
        idle, peak = max(peaks, key=lambda p: p[1])
        print(f"\n(a) dashloom, upload to GenerationCompleted {a:>8.2f} s")
        print(f"(b) bare polars read + describe + distinct {b:>8.2f} s")
        print(f"(b') bare polars read + lean statistics    {min(lean_times):>8.2f} s")
        print(f"ratio (a) / (b)                            {a / b:>8.2f}x  target <= 1.5x")
        print(f"ratio (a) / (b')                           {a / min(lean_times):>8.2f}x  target <= 1.5x")
        print(f"worker peak memory                         {peak / 1e6:>8,.0f} MB ({idle / 1e6:,.0f} MB before the job)")
        print(f"ratio worker peak / file size              {peak / size:>8.2f}x  target < 1x")
        if with_ydata:
            c = timed_script(ensure_peer_venv(), YDATA_MINIMAL, path)
            print(f"(c) ydata-profiling, minimal mode           {c:>8.2f} s")
            print(f"ratio (c) / (a)                            {c / a:>8.1f}x  target >= 20x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-ydata", action="store_true", help="leave out (c), which takes minutes")
    arguments = parser.parse_args()
    main(arguments.rows, arguments.rounds, not arguments.skip_ydata)
