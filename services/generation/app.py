"""The generation service: DashboardRequested -> profiling and chart choice -> GenerationCompleted."""

from __future__ import annotations

from services.eventlog.blobs import open_blob_store
from services.eventlog.store import EventStore
from services.generation.declaration import SERVICE
from services.generation.handlers import GenerationWorker
from services.runtime.service import ServiceContext, run_service


async def work(context: ServiceContext) -> None:
    settings = context.settings
    blobs = open_blob_store(settings.blob_backend, settings.blob_dir, context.js, settings.stream_replicas)
    worker = GenerationWorker(EventStore(context.js), blobs, context.instance, settings.generation_ack_wait)
    await worker.run(settings.nats_url, context.stop)


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
