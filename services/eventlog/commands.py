"""The shape of every command: load the aggregate from its own events, decide, append with the
version that was loaded; on a conflict (JetStream 10071) load again and decide again, a few times.

`decide` is a pure function of the aggregate's history: it answers the events to append, or
raises `Refused(code, message)` (contracts/rpc.py), the one refusal every caller answers with. Nothing irreversible happens before
its events are in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from contracts import Event
from services.eventlog.store import ConcurrencyError, EventStore

ATTEMPTS = 3

Decision = Callable[[Sequence[Event]], Sequence[Event]]


async def execute(store: EventStore, aggregate: str, aggregate_id: str, decide: Decision,
                  attempts: int = ATTEMPTS) -> list[int]:
    """Append what `decide` answers for the aggregate's current history; answer their sequences.

    Raises Refused when `decide` does, ConcurrencyError when other writers won `attempts` times.
    """
    for _ in range(attempts):
        history = await store.load(aggregate, aggregate_id)
        events = decide([stored.event for stored in history])
        try:
            return await _append_in_turn(store, events, history[-1].seq if history else 0)
        except ConcurrencyError:
            continue
    raise ConcurrencyError(f"{aggregate}.{aggregate_id} changed {attempts} times while deciding")


async def _append_in_turn(store: EventStore, events: Sequence[Event], version: int) -> list[int]:
    """Each event expects the one before it: a writer in between stops the rest."""
    sequences: list[int] = []
    for event in events:
        version = await store.append(event, expected_last_seq=version)
        sequences.append(version)
    return sequences
