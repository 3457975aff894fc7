"""What every part of the sharing service works with: the log, the read models, the personal
data store, the clock, and how long an answer may wait for its own read model."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from services.eventlog.store import EventStore
from services.runtime.sealing import SecretBox
from services.sharing.clock import Clock
from services.sharing.personal import PersonalData


@dataclass(frozen=True)
class SharingContext:
    store: EventStore
    engine: Engine
    personal: PersonalData
    clock: Clock
    catch_up_seconds: float
    box: SecretBox  # seals what must ride in events (a public link's token), under the secrets key
