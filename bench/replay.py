"""Projection rebuild rate beside two baselines: the bus's own rate, and fetching + decoding.

    .venv/bin/python bench/replay.py [--generations 30000] [--postgres URL]

Seeds a fresh nats-server (from the wheel) with generation lifecycles (7 events each; the
default 30,000 gives 210,000 events), then in one run measures:
  bare     every event through a nats-py ordered push consumer, counted, nothing decoded: the
           bus's own rate (ARCHITECTURE.md: about six times pull `fetch`)
  raw      pull-fetch every event from JetStream and decode it into its pydantic model
  rebuild  `Rebuild` of the `generations` projection into fresh tables, verified and swapped
           (SQLite file, and PostgreSQL when it answers); past 50,000 events the event loop only
           reads and a second process decodes and writes (services/readmodels/rebuild_writer.py)
and prints events per second and the rebuild's ratio to each baseline. Each baseline runs before
and after the rebuilds; the faster of its two passes counts. Target: rebuild >= 50% of bare.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contracts import STREAM_NAME, STREAM_SUBJECTS  # noqa: E402
from services.eventlog.connection import connect  # noqa: E402
from services.eventlog.store import EventStore  # noqa: E402
from services.eventlog.stream import ensure_events_stream  # noqa: E402
from services.gateway.generation.projections import generation_status  # noqa: E402
from services.readmodels.database import create_read_model_engine  # noqa: E402
from services.readmodels.rebuild import Rebuild  # noqa: E402
from services.readmodels.runner import create_read_model_tables  # noqa: E402
from services.runtime.nats_server import NatsServer  # noqa: E402
from tests.factories import many_generations  # noqa: E402


async def bare_rate(js, total: int) -> float:
    """nats-py's own reading rate: an ordered consumer from the first event, messages only counted."""
    counted, done = 0, asyncio.Event()

    async def count(msg) -> None:
        nonlocal counted
        counted += 1
        if counted == total:
            done.set()

    started = time.perf_counter()
    subscription = await js.subscribe(STREAM_SUBJECTS[0], stream=STREAM_NAME, cb=count, ordered_consumer=True)
    await asyncio.wait_for(done.wait(), 600)
    rate = total / (time.perf_counter() - started)
    await subscription.unsubscribe()
    return rate


async def raw_rate(store: EventStore, batch_size: int) -> tuple[float, int]:
    started, count = time.perf_counter(), 0
    async for batch in store.reader.batches(batch_size=batch_size):
        for stored in batch:
            stored.event  # noqa: B018 - decoding is part of the raw rate
        count += len(batch)
    return count / (time.perf_counter() - started), count


async def rebuild_rate(store: EventStore, database_url: str, batch_size: int) -> tuple[float, int]:
    engine = create_read_model_engine(database_url)
    create_read_model_tables(engine, generation_status)
    started = time.perf_counter()
    report = await Rebuild(store.reader, engine, generation_status, batch_size).run()
    rate = report.events_read / (time.perf_counter() - started)
    engine.dispose()
    return rate, report.rows["generations"]


def postgres_schema(url: str) -> str | None:
    try:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return schema
    except psycopg.Error:
        return None


async def main(generations: int, postgres: str, batch_size: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        server = NatsServer(Path(work) / "nats").start()
        nc = await connect(server.url, "bench")
        await ensure_events_stream(nc.jetstream())
        store = EventStore(nc.jetstream())
        started = time.perf_counter()
        await store.append_many(many_generations(generations))
        total = await store.last_sequence()
        print(f"seeded {total:,} events in {time.perf_counter() - started:.1f}s (sync_interval: always)")

        bare_first = await bare_rate(nc.jetstream(), total)
        raw_first, _ = await raw_rate(store, batch_size)
        results = {"sqlite": await rebuild_rate(store, f"sqlite:///{work}/bench.db", batch_size)}
        schema = postgres_schema(postgres)
        if schema:
            url = postgres.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
            results["postgresql"] = await rebuild_rate(store, url, batch_size)
            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        else:
            print("PostgreSQL did not answer: its rebuild was not measured")
        raw_second, count = await raw_rate(store, batch_size)
        bare_second = await bare_rate(nc.jetstream(), total)
        bare, raw = max(bare_first, bare_second), max(raw_first, raw_second)

        print(f"\n{'measure':<26}{'events/s':>12}{'ratio to bare':>15}{'ratio to raw':>14}{'target':>10}")
        print(f"{'bare ordered read (1st)':<26}{bare_first:>12,.0f}")
        print(f"{'bare ordered read (2nd)':<26}{bare_second:>12,.0f}")
        print(f"{'raw fetch+decode (1st)':<26}{raw_first:>12,.0f}")
        print(f"{'raw fetch+decode (2nd)':<26}{raw_second:>12,.0f}")
        for backend, (rate, rows) in results.items():
            assert rows == generations, f"{backend}: {rows} rows for {generations} generations"
            print(f"{'rebuild ' + backend:<26}{rate:>12,.0f}{rate / bare:>14.0%}{rate / raw:>14.0%}{'>= 50%':>10}")
        print(f"\n{count:,} events; batch size {batch_size}; target: rebuild >= 50% of bare")
        for backend, (rate, _) in results.items():
            print(f"a million events rebuilt at this rate ({backend}): {1_000_000 / rate:.0f} s")
        await nc.close()
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generations", type=int, default=30_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--batch-size", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.generations, arguments.postgres, arguments.batch_size))
