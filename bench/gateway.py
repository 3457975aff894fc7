"""Requests per second of an authenticated, rate-limited GET /api/v1/dashboards beside bare
FastAPI JSON routes served the same way (uvicorn, one process each), in the same run.

    .venv/bin/python bench/gateway.py [--seconds 8] [--connections 16] [--rounds 3]

The gateway is the real service process (`python -m services.gateway`): API-key lookup (cached),
the KV compare-and-set rate limiter (budget raised so nothing is refused), the read-model query
for a page of 20 dashboards of 50, the envelope. The load comes from bench/load.py in a third
process. Two baselines (bench/bare_app.py): /same answers the very document the gateway answers
(20 dashboards, ~4 KB) from a dict, so the ratio isolates what the gateway adds (key, shared
budget, read model); /tiny answers a two-field envelope, the floor of FastAPI itself. Rounds
alternate; medians are compared. Target: gateway >= 50% of the bare route.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.listening import wait_listening  # noqa: E402
from services.eventlog.connection import connect  # noqa: E402
from services.eventlog.store import EventStore  # noqa: E402
from services.eventlog.stream import ensure_events_stream  # noqa: E402
from services.gateway.project.commands import create_project  # noqa: E402
from services.platform.up import prepare_bus  # noqa: E402
from services.runtime.nats_server import NatsServer, free_port  # noqa: E402
from tests.factories import generation_lifecycle  # noqa: E402


async def seed(url: str) -> str:
    await prepare_bus(url, 1)
    nc = await connect(url, "bench")
    await ensure_events_stream(nc.jetstream())
    store = EventStore(nc.jetstream())
    project_id, key = await create_project(store, "bench", "free")
    events = [e for n in range(50) for e in generation_lifecycle(f"bench{n}", project_id=project_id)]
    await store.append_many(events)
    await nc.close()
    return key.key


def wait_ready(url: str, headers: dict, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, headers=headers, timeout=2)
            if answer.status_code == 200 and answer.json()["data"]:
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} never answered with data")



def load(url: str, seconds: float, connections: int, headers: list[str]) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), url, str(seconds), str(connections),
                          *headers], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(seconds: float, connections: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        server = NatsServer(Path(work) / "nats").start()
        key = asyncio.run(seed(server.url))
        gateway_port, bare_port = free_port(), free_port()
        environment = {**os.environ, "DASHLOOM_NATS_URL": server.url, "DASHLOOM_STATE_DIR": work,
                       "DASHLOOM_HTTP_PORT": str(gateway_port),
                       "DASHLOOM_RATE_LIMITS": '{"free": 100000000}'}
        processes = [subprocess.Popen([sys.executable, "-m", "services.gateway"], env=environment, cwd=ROOT)]
        try:
            auth = {"Authorization": f"Bearer {key}"}
            gateway_url = f"http://127.0.0.1:{gateway_port}/api/v1/dashboards?limit=20"
            wait_ready(gateway_url, auth)
            payload = httpx.get(gateway_url, headers=auth).text
            processes.append(subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_app.py"), str(bare_port)],
                                              env={**os.environ, "BARE_PAYLOAD": payload}))
            same_url, tiny_url = f"http://127.0.0.1:{bare_port}/same", f"http://127.0.0.1:{bare_port}/tiny"
            wait_listening(tiny_url)
            assert httpx.get(same_url).json() == httpx.get(gateway_url, headers=auth).json()
            header = [f"Authorization: Bearer {key}"]
            if os.environ.get("BENCH_PROFILE"):  # e.g. BENCH_PROFILE=/tmp/gateway.txt (needs py-spy)
                profiler = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                             "--pid", str(processes[0].pid), "--duration", "6",
                                             "--format", "raw", "-o", os.environ["BENCH_PROFILE"]])
                load(gateway_url, 5, connections, header)
                profiler.wait()
            for url, headers in ((gateway_url, header), (same_url, []), (tiny_url, [])):
                load(url, 1, connections, headers)  # warm-up
            rates: dict[str, list[float]] = {"same": [], "tiny": [], "gateway": []}
            for round_ in range(rounds):
                for name, url, headers in (("same", same_url, []), ("gateway", gateway_url, header),
                                           ("tiny", tiny_url, [])):
                    result = load(url, seconds, connections, headers)
                    assert set(result["statuses"]) == {"200"}, result
                    rates[name].append(result["rps"])
                print(f"round {round_ + 1}: " + ", ".join(f"{n} {r[-1]:,.0f}" for n, r in rates.items()))
            median = {name: statistics.median(values) for name, values in rates.items()}
            print(f"\nbare route, same document      {median['same']:>8,.0f} req/s (median of {rounds})")
            print(f"bare route, tiny document      {median['tiny']:>8,.0f} req/s")
            print(f"gateway GET /api/v1/dashboards {median['gateway']:>8,.0f} req/s (key + KV rate limit + read model)")
            print(f"ratio gateway / bare same      {median['gateway'] / median['same']:>8.0%}   target >= 50%")
            print(f"ratio gateway / bare tiny      {median['gateway'] / median['tiny']:>8.0%}")
        finally:
            for process in processes:
                process.terminate()
                process.wait(15)
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    main(arguments.seconds, arguments.connections, arguments.rounds)
