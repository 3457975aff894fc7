"""Answers computed from a read model, reused while that read model has not changed.

Each entry remembers the projection version it was built from; any committed batch or rebuild
changes the version, so a hit is exactly what a fresh query would have answered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from services.readmodels.versions import Version


class AnswerCache:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Version, bytes]] = OrderedDict()

    def get(self, key: Hashable, version: Version) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, version: Version, body: bytes) -> bytes:
        self._entries[key] = (version, body)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return body
