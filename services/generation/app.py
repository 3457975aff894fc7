"""The generation service: DashboardRequested -> profiling and chart choice -> GenerationCompleted."""

from __future__ import annotations

import resource

from services.eventlog.blobs import open_blob_store
from services.eventlog.store import EventStore
from services.generation.declaration import SERVICE
from services.generation.worker import GenerationWorker
from services.runtime.service import ServiceContext, run_service


async def work(context: ServiceContext) -> None:
    settings = context.settings
    if settings.generation_memory_bytes:
        limit_address_space(settings.generation_memory_bytes)
    blobs = open_blob_store(settings.blob_backend, settings.blob_dir, context.js, settings.stream_replicas)
    worker = GenerationWorker(EventStore(context.js), blobs, context.instance, settings.generation_ack_wait)
    await worker.run(settings.nats_url, context.stop)


def limit_address_space(budget: int) -> None:
    """The memory budget of the job this process runs: past it, an allocation fails.

    Python then raises MemoryError (the job fails with FILE_TOO_LARGE); Polars aborts the
    process, and the job, redelivered, fails once its deliveries are counted out. Only the soft
    limit: the PDF's child process (pdf.py) lifts it again for V8, which reserves more address
    space than any such cap, and caps its written memory instead.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = budget if hard == resource.RLIM_INFINITY else min(budget, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
