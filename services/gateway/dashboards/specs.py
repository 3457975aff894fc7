"""Dashboard specs (cards with their Vega-Lite specs), read from the blob store.

A spec blob never changes once written (a new version is a new blob), so each instance keeps the
recent ones in memory; a deleted dashboard has none.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Annotated

import orjson
from sqlalchemy import Engine

from services.eventlog.blobs import BlobNotFound, BlobStore
from services.gateway.dashboards.queries import live_spec_blob
from services.gateway.edge.dependencies import part


class DashboardSpecs:
    def __init__(self, engine: Engine, blobs: BlobStore, size: int = 256) -> None:
        self.engine = engine
        self.blobs = blobs
        self.size = size
        self._recent: OrderedDict[str, dict] = OrderedDict()

    def _spec_blob(self, dashboard_id: str, project_id: str) -> str | None:
        with self.engine.connect() as conn:
            return live_spec_blob(conn, project_id, dashboard_id)

    async def load(self, dashboard_id: str, project_id: str) -> dict | None:
        blob = await asyncio.to_thread(self._spec_blob, dashboard_id, project_id)
        if blob is None:
            return None
        if blob not in self._recent:
            try:
                self._recent[blob] = orjson.loads(b"".join([chunk async for chunk in self.blobs.read(blob)]))
            except BlobNotFound:  # the dashboard's events are there, its spec blob is not
                return None
            if len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return self._recent[blob]


Specs = Annotated[DashboardSpecs, part(DashboardSpecs)]
