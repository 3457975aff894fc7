"""SharedVersionReads: callers waiting at once share one read, and none takes a read older than its call."""

import asyncio
import threading

from services.readmodels.checkpoints import bookkeeping, write_checkpoint
from services.readmodels.versions import SharedVersionReads, Version, VersionReader

WAIT = 10  # seconds: a hang is a failure


class GatedReader(VersionReader):
    """A real reader whose first read, once begun, waits for the test to let it finish."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        self.began, self.go_on = threading.Event(), threading.Event()
        self.reads = 0

    def version(self, projection: str) -> Version:
        self.reads += 1
        found = super().version(projection)
        if self.reads == 1:
            self.began.set()
            assert self.go_on.wait(WAIT)
        return found


async def test_callers_during_a_read_share_the_next_one_and_see_what_was_committed_before_they_asked(engine):
    bookkeeping.create_all(engine)
    with engine.begin() as conn:
        write_checkpoint(conn, "generations", 1)
    reader = GatedReader(engine)
    versions = SharedVersionReads(reader)

    first = asyncio.create_task(versions.version("generations"))
    assert await asyncio.wait_for(asyncio.to_thread(reader.began.wait, WAIT), WAIT)
    with engine.begin() as conn:  # committed while the first read is under way, before the others ask
        write_checkpoint(conn, "generations", 2)
    later = [asyncio.create_task(versions.version("generations")) for _ in range(10)]
    await asyncio.sleep(0)  # let them queue behind the read in flight
    reader.go_on.set()

    assert (await asyncio.wait_for(first, WAIT))[0] == 1
    assert {v[0] for v in await asyncio.wait_for(asyncio.gather(*later), WAIT)} == {2}
    assert reader.reads == 2  # the ten callers shared one read


async def test_a_failed_read_fails_its_callers_and_the_next_caller_reads_again(engine):
    versions = SharedVersionReads(VersionReader(engine))  # no checkpoint table yet: the read fails
    results = await asyncio.gather(*(versions.version("generations") for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    bookkeeping.create_all(engine)
    with engine.begin() as conn:
        write_checkpoint(conn, "generations", 7)
    assert (await asyncio.wait_for(versions.version("generations"), WAIT))[0] == 7
