"""How uploads change the integrations read model (webhook endpoints are the webhooks service's: read
through its services/webhooks/queries.py)."""

from __future__ import annotations

from contracts import DashboardRequested
from services.gateway.webhooks.models import data_sources
from services.readmodels.projection import Projection, Rows

integrations = Projection("integrations", data_sources)


@integrations.on(DashboardRequested)
def _upload_seen(event: DashboardRequested, rows: Rows) -> None:
    key = (event.project_id, event.payload.file_format)
    source = rows["data_sources"].get(key)
    if source is None:
        rows["data_sources"].put({"project_id": key[0], "file_format": key[1], "uploads": 1,
                                  "bytes": event.payload.upload.size, "first_used_at": event.occurred_at,
                                  "last_used_at": event.occurred_at})
    else:
        rows["data_sources"].update(key, uploads=source["uploads"] + 1,
                                    bytes=source["bytes"] + event.payload.upload.size,
                                    last_used_at=event.occurred_at)
