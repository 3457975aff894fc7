"""How long to wait before starting again something that died (a service, nats-server, a task)."""

from __future__ import annotations

import time


class Backoff:
    """At once if it had run for `longest` seconds; else after a delay that starts at `first` and
    doubles, up to `longest`, each time it dies again soon."""

    def __init__(self, first: float, longest: float) -> None:
        self.first, self.longest = first, longest
        self.delay = 0.0
        self.not_before = 0.0
        self.started_at = time.monotonic()

    def started(self) -> None:
        self.started_at = time.monotonic()

    def died(self) -> float:
        """Answer the delay before the next start."""
        now = time.monotonic()
        ran_long = now - self.started_at > self.longest
        self.delay = 0.0 if ran_long else min(max(self.delay * 2, self.first), self.longest)
        self.not_before = now + self.delay
        return self.delay

    def due(self) -> bool:
        return time.monotonic() >= self.not_before
