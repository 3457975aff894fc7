"""How the log changes the sharing read models: links and their views, and shareable dashboards.

Handlers only change rows: rebuilding them from the log sends no email.
"""

from __future__ import annotations

from contracts import (
    DashboardCreated,
    DashboardDeleted,
    DashboardRequested,
    DashboardVersionAdded,
    GenerationCompleted,
    IframeTokenIssued,
    IframeTokenRevoked,
    ShareLinkErased,
    ShareLinkIssued,
    ShareLinkRevoked,
    ShareLinkViewed,
    TenantIframeTokensRevoked,
)
from services.readmodels.projection import Projection, Rows
from services.sharing.models import (
    embed_generations,
    embeddable_dashboards,
    iframe_tokens,
    share_link_views,
    share_links,
    shareable_dashboards,
)

share_link_state = Projection("share_links", share_links, share_link_views)
dashboards_to_share = Projection("sharing_dashboards", shareable_dashboards)
dashboards_to_embed = Projection("embeddable_dashboards", embeddable_dashboards, embed_generations)
iframe_token_state = Projection("iframe_tokens", iframe_tokens)


def issued_row(event: ShareLinkIssued) -> dict:
    """The share_links row of a link just issued (also how the issuing command describes it)."""
    payload = event.payload
    return {"link_id": event.aggregate_id, "project_id": event.project_id, "dashboard_id": payload.dashboard_id,
            "visibility": payload.visibility, "allowed_email_hashes": payload.allowed_email_hashes,
            "token_sha256": payload.token_sha256, "token_prefix": payload.token_prefix,
            "expires_at": payload.expires_at, "issued_at": event.occurred_at, "revoked_at": None,
            "erased_at": None, "view_count": 0, "last_viewed_at": None}


@share_link_state.on(ShareLinkIssued)
def _issued(event: ShareLinkIssued, rows: Rows) -> None:
    rows["share_links"].put(issued_row(event))


@share_link_state.on(ShareLinkRevoked)
def _revoked(event: ShareLinkRevoked, rows: Rows) -> None:
    rows["share_links"].update(event.aggregate_id, revoked_at=event.occurred_at)


@share_link_state.on(ShareLinkErased)
def _erased(event: ShareLinkErased, rows: Rows) -> None:
    rows["share_links"].update(event.aggregate_id, erased_at=event.occurred_at)


@share_link_state.on(ShareLinkViewed)
def _viewed(event: ShareLinkViewed, rows: Rows) -> None:
    link = rows["share_links"].get(event.aggregate_id)
    if link is None:
        return
    rows["share_links"].update(event.aggregate_id, view_count=link["view_count"] + 1,
                               last_viewed_at=event.occurred_at)
    rows["share_link_views"].put({
        "view_id": str(event.event_id), "link_id": event.aggregate_id, "viewed_at": event.occurred_at,
        "viewer_email_hash": event.payload.viewer_email_hash, "user_agent": event.payload.user_agent})


def _titled(rows: Rows, project_id: str, dashboard_id: str, title: str) -> None:
    if rows["sharing_dashboards"].update(dashboard_id, title=title[:500]) is None:
        rows["sharing_dashboards"].put({"dashboard_id": dashboard_id, "project_id": project_id,
                                        "title": title[:500], "deleted_at": None})


@dashboards_to_share.on(DashboardCreated)
def _created(event: DashboardCreated, rows: Rows) -> None:
    _titled(rows, event.project_id, event.payload.dashboard_id, event.payload.name)


@dashboards_to_share.on(DashboardVersionAdded)
def _new_version(event: DashboardVersionAdded, rows: Rows) -> None:
    _titled(rows, event.project_id, event.payload.dashboard_id, event.payload.title)


@dashboards_to_share.on(GenerationCompleted)
def _completed(event: GenerationCompleted, rows: Rows) -> None:
    """Before DashboardVersionAdded existed, a generation's completion was its dashboard's only event."""
    _titled(rows, event.project_id, event.payload.dashboard_id, event.payload.title)


@dashboards_to_share.on(DashboardDeleted)
def _deleted(event: DashboardDeleted, rows: Rows) -> None:
    rows["sharing_dashboards"].update(event.payload.dashboard_id, deleted_at=event.occurred_at)


@dashboards_to_embed.on(DashboardCreated)
def _embeddable_created(event: DashboardCreated, rows: Rows) -> None:
    payload = event.payload
    rows["embeddable_dashboards"].put({"dashboard_id": payload.dashboard_id, "project_id": event.project_id,
                                       "tenant_id": payload.tenant_id, "workspace_id": payload.workspace_id,
                                       "deleted_at": None})


@dashboards_to_embed.on(DashboardRequested)
def _upload_requested(event: DashboardRequested, rows: Rows) -> None:
    rows["embed_generations"].put({"generation_id": event.aggregate_id, "tenant_id": event.payload.tenant_id,
                                   "workspace_id": event.payload.workspace_id})


@dashboards_to_embed.on(GenerationCompleted)
def _upload_completed(event: GenerationCompleted, rows: Rows) -> None:
    upload = rows["embed_generations"].get(event.aggregate_id)
    if upload is not None:
        rows["embed_generations"].delete(event.aggregate_id)
    if rows["embeddable_dashboards"].get(event.payload.dashboard_id) is not None:
        return  # a new version of a dashboard keeps its tenant and workspace
    rows["embeddable_dashboards"].put({
        "dashboard_id": event.payload.dashboard_id, "project_id": event.project_id,
        "tenant_id": upload["tenant_id"] if upload else None,
        "workspace_id": upload["workspace_id"] if upload else None, "deleted_at": None})


@dashboards_to_embed.on(DashboardDeleted)
def _dashboard_deleted(event: DashboardDeleted, rows: Rows) -> None:
    rows["embeddable_dashboards"].update(event.payload.dashboard_id, deleted_at=event.occurred_at)


@iframe_token_state.on(IframeTokenIssued)
def _token_issued(event: IframeTokenIssued, rows: Rows) -> None:
    payload = event.payload
    rows["iframe_tokens"].put({
        "jti": event.aggregate_id, "project_id": event.project_id, "tenant_id": payload.tenant_id,
        "workspace_id": payload.workspace_id, "dashboard_id": payload.dashboard_id, "kid": payload.kid,
        "issued_at": event.occurred_at, "expires_at": payload.expires_at, "revoked_at": None, "revoked_by": None})


@iframe_token_state.on(IframeTokenRevoked)
def _token_revoked(event: IframeTokenRevoked, rows: Rows) -> None:
    rows["iframe_tokens"].update(event.aggregate_id, revoked_at=event.occurred_at, revoked_by="token")


@iframe_token_state.on(TenantIframeTokensRevoked)
def _tenant_tokens_revoked(event: TenantIframeTokensRevoked, rows: Rows) -> None:
    tokens = rows["iframe_tokens"]
    table = tokens.table  # a rebuild writes into its own copy of the table
    tokens.update_where(
        (table.c.project_id == event.project_id) & (table.c.tenant_id == event.payload.tenant_id)
        & table.c.revoked_at.is_(None), revoked_at=event.occurred_at, revoked_by="tenant")


PROJECTIONS = [share_link_state, dashboards_to_share, dashboards_to_embed, iframe_token_state]
