"""How share-link events change the share_links read model."""

from __future__ import annotations

from contracts import ShareLinkIssued, ShareLinkRevoked
from services.readmodels.projection import Projection, Rows
from services.sharing.models import share_links

share_link_state = Projection("share_links", share_links)


@share_link_state.on(ShareLinkIssued)
def _issued(event: ShareLinkIssued, rows: Rows) -> None:
    rows["share_links"].put({
        "link_id": event.aggregate_id, "project_id": event.project_id,
        "dashboard_id": event.payload.dashboard_id, "visibility": event.payload.visibility,
        "allowed_emails": event.payload.allowed_emails, "token_sha256": event.payload.token_sha256,
        "expires_at": event.payload.expires_at, "issued_at": event.occurred_at,
    })


@share_link_state.on(ShareLinkRevoked)
def _revoked(event: ShareLinkRevoked, rows: Rows) -> None:
    rows["share_links"].update(event.aggregate_id, revoked_at=event.occurred_at)


PROJECTIONS = [share_link_state]
