"""Answers computed from a read model, reused while that read model has not changed.

Each entry remembers the projection version it was built from; any committed batch or rebuild
changes the version, so a hit is exactly what a fresh query would have answered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

from services.readmodels.versions import Version


class AnswerCache:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Version, bytes]] = OrderedDict()

    def get_or_build(self, key: Hashable, version: Version, build: Callable[[], bytes]) -> bytes:
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version:
            self._entries.move_to_end(key)
            return entry[1]
        body = build()
        self._entries[key] = (version, body)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return body
