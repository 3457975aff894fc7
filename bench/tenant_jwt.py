"""What a tenant JWT costs the auth layer, beside an API key, in the same run.

    .venv/bin/python bench/tenant_jwt.py [--requests 2000] [--rounds 5]

One gateway in-process (ASGI, no sockets), a nats-server from the wheel, SQLite read models.
Sequential GET /api/v1/project with: the API key (the baseline: a cached lookup), then a tenant
JWT signed HS256, RS256 and ES256 (the first request of a token reads the key row and verifies
the signature; the gateway then remembers the verified token until its exp). Printed: requests/s
of each (the median of rounds that alternate the credentials) and its ratio to the API key's, with
the target (>= 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.embedding import project_audience  # noqa: E402
from services.eventlog.connection import connect  # noqa: E402
from services.eventlog.store import EventStore  # noqa: E402
from services.eventlog.stream import ensure_events_stream  # noqa: E402
from services.gateway.app import Gateway, create_app  # noqa: E402
from services.gateway.declaration import PROJECTIONS  # noqa: E402
from services.gateway.project.commands import create_project  # noqa: E402
from services.readmodels.consistency import wait_for_checkpoint  # noqa: E402
from services.readmodels.database import create_read_model_engine  # noqa: E402
from services.readmodels.runner import ProjectionRunner, create_read_model_tables  # noqa: E402
from services.runtime.nats_server import NatsServer  # noqa: E402
from services.runtime.settings import Settings  # noqa: E402
from tests.embedding.tokens import HS_SECRET, claims_for, ec_key, public_pem, rsa_key, signed  # noqa: E402


async def rate(client: httpx.AsyncClient, headers: dict, requests: int) -> float:
    for _ in range(20):  # warm: caches, connections
        assert (await client.get("/api/v1/project", headers=headers)).status_code == 200
    started = time.perf_counter()
    for _ in range(requests):
        await client.get("/api/v1/project", headers=headers)
    return requests / (time.perf_counter() - started)


async def run(work: Path, requests: int, rounds: int) -> None:
    server = NatsServer(work / "nats").start()
    try:
        nc = await connect(server.url, "bench")
        await ensure_events_stream(nc.jetstream())
        engine = create_read_model_engine(f"sqlite:///{work / 'readmodels.db'}")
        create_read_model_tables(engine, *PROJECTIONS)
        stop = asyncio.Event()
        runners = [asyncio.create_task(ProjectionRunner(nc.jetstream(), engine, p, "bench").run(stop))
                   for p in PROJECTIONS]
        settings = Settings(state_dir=work / "state", rate_limits={"free": 10_000_000}, api_key_usage_interval=60.0)
        project_id, key = await create_project(EventStore(nc.jetstream()), "Bench", "free")
        await wait_for_checkpoint(engine, "projects", key.seq, 10)
        app = create_app(await Gateway.connect(settings, nc, engine))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
        admin = {"Authorization": f"Bearer {key.key}"}
        rsa_private, ec_private = rsa_key(), ec_key()
        keys = {"HS256": (HS_SECRET, {"secret": HS_SECRET}), "RS256": (rsa_private, {"public_key_pem": public_pem(rsa_private)}),
                "ES256": (ec_private, {"public_key_pem": public_pem(ec_private)})}
        for alg, (_, material) in keys.items():
            made = await client.post("/api/v1/jwt-keys", headers=admin, json={"kid": alg.lower(), "alg": alg, **material})
            assert made.status_code == 201, made.text
        claims = claims_for(project_audience(project_id), exp=int(time.time()) + 3600)
        tokens = {f"tenant JWT {alg}": signed(claims, signing_key, alg, alg.lower())
                  for alg, (signing_key, _) in keys.items()}
        credentials = {"API key": admin, **{name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}}
        rates: dict[str, list[float]] = {name: [] for name in credentials}
        for _ in range(rounds):  # alternated, so a busy moment of the machine falls on every credential
            for name, headers in credentials.items():
                rates[name].append(await rate(client, headers, requests // rounds))
        median = {name: statistics.median(values) for name, values in rates.items()}
        baseline = median["API key"]
        print(f"API key        {baseline:8.0f} requests/s  (baseline, median of {rounds} rounds)")
        for name in list(credentials)[1:]:
            print(f"{name} {median[name]:8.0f} requests/s  ratio {median[name] / baseline:.2f}   target >= 0.90")
        await client.aclose()
        stop.set()
        await asyncio.wait(runners, timeout=10)
        await nc.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(run(Path(work), args.requests, args.rounds))


if __name__ == "__main__":
    main()
