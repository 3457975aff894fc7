"""What the gateway may read about a project's links: from the read models, addresses from the
deletable store (an erased link's addresses are gone, its hashes name nobody)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import func, select

from contracts import DashboardDeleted
from contracts.rpc import Refused
from contracts.sharing_commands import (
    DashboardLinks,
    GetLink,
    LinkViews,
    ShareLink,
    ShareLinkPage,
    ShareLinkView,
    ShareLinkViewPage,
)
from services.readmodels.consistency import wait_for_checkpoint
from services.sharing.context import SharingContext
from services.sharing.models import share_link_views, share_links, shareable_dashboards
from services.sharing.projections import dashboards_to_share

DELETED = "This dashboard was deleted by its owner: its links no longer work."


def link_out(row, addresses: dict[str, str], now: datetime) -> ShareLink:
    if row["revoked_at"] is not None:
        status = "revoked"
    else:
        status = "expired" if now >= row["expires_at"] else "active"
    return ShareLink(id=row["link_id"], dashboard_id=row["dashboard_id"], visibility=row["visibility"],
                     allowed_emails=sorted(addresses[h] for h in row["allowed_email_hashes"] if h in addresses),
                     token_prefix=row["token_prefix"], status=status, expires_at=row["expires_at"],
                     created_at=row["issued_at"], revoked_at=row["revoked_at"], erased=row["erased_at"] is not None,
                     view_count=row["view_count"], last_viewed_at=row["last_viewed_at"])


class ShareLinkQueries:
    def __init__(self, context: SharingContext) -> None:
        self.store, self.engine, self.personal = context.store, context.engine, context.personal
        self.clock, self.catch_up_seconds = context.clock, context.catch_up_seconds

    async def dashboard_title(self, project_id: str, dashboard_id: str) -> str:
        """The title of one of the project's dashboards; 404 for another project's or a missing one."""
        title = await asyncio.to_thread(self.dashboard_title_now, project_id, dashboard_id)
        if title is None:  # perhaps generated a moment ago: let the projection catch up once
            await wait_for_checkpoint(self.engine, dashboards_to_share.name, await self.store.last_sequence(),
                                      self.catch_up_seconds)
            title = await asyncio.to_thread(self.dashboard_title_now, project_id, dashboard_id)
        if title is None:
            raise Refused("NOT_FOUND", "no such dashboard")
        await self.refuse_if_deleted(dashboard_id)
        return title

    async def refuse_if_deleted(self, dashboard_id: str) -> None:
        """410 once the dashboard's DashboardDeleted is in the log, read from the log itself (one
        direct get): a read model a moment behind must not let a deleted dashboard's link open."""
        if await self.store.last_event_type(DashboardDeleted.aggregate, dashboard_id) == "DashboardDeleted":
            raise Refused("GONE", DELETED)

    def dashboard_title_now(self, project_id: str, dashboard_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(shareable_dashboards.c.title).where(
                shareable_dashboards.c.dashboard_id == dashboard_id,
                shareable_dashboards.c.project_id == project_id)).scalar()

    async def links_of_dashboard(self, query: DashboardLinks) -> ShareLinkPage:
        await self.dashboard_title(query.caller.project_id, query.dashboard_id)
        mine = (share_links.c.project_id == query.caller.project_id) & (share_links.c.dashboard_id == query.dashboard_id)
        return await asyncio.to_thread(self._links_page, mine, query.limit, query.offset)

    def _links_page(self, condition, limit: int, offset: int) -> ShareLinkPage:
        with self.engine.connect() as conn:
            rows = conn.execute(select(share_links).where(condition)
                                .order_by(share_links.c.issued_at.desc(), share_links.c.link_id)
                                .limit(limit).offset(offset)).mappings().all()
            total = conn.execute(select(func.count()).select_from(share_links).where(condition)).scalar_one()
        return ShareLinkPage(items=self.described(rows), total=total)

    def described(self, rows) -> list[ShareLink]:
        addresses = self.personal.addresses_of([row["link_id"] for row in rows])
        now = self.clock.now()
        return [link_out(row, addresses.get(row["link_id"], {}), now) for row in rows]

    async def link(self, query: GetLink) -> ShareLink:
        described = await asyncio.to_thread(self._described_link, query.caller.project_id, query.link_id)
        await self.refuse_if_deleted(described.dashboard_id)
        return described

    def _described_link(self, project_id: str, link_id: str) -> ShareLink:
        return self.described([self._row(project_id, link_id)])[0]

    def _row(self, project_id: str, link_id: str):
        with self.engine.connect() as conn:
            row = conn.execute(select(share_links).where(share_links.c.link_id == link_id,
                                                         share_links.c.project_id == project_id)).mappings().first()
        if row is None:  # another project's link is as absent as a missing one
            raise Refused("NOT_FOUND", "no such share link")
        return row

    async def views(self, query: LinkViews) -> ShareLinkViewPage:
        dashboard_id, found = await asyncio.to_thread(self._views_page, query)
        await self.refuse_if_deleted(dashboard_id)
        return found

    def _views_page(self, query: LinkViews) -> tuple[str, ShareLinkViewPage]:
        link = self._row(query.caller.project_id, query.link_id)
        addresses = self.personal.addresses_of([link["link_id"]]).get(link["link_id"], {})
        condition = share_link_views.c.link_id == link["link_id"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(share_link_views).where(condition)
                                .order_by(share_link_views.c.viewed_at.desc(), share_link_views.c.view_id)
                                .limit(query.limit).offset(query.offset)).mappings().all()
            total = conn.execute(select(func.count()).select_from(share_link_views).where(condition)).scalar_one()
        return link["dashboard_id"], ShareLinkViewPage(items=[_view_out(row, addresses) for row in rows], total=total)


def _view_out(row, addresses: dict[str, str]) -> ShareLinkView:
    email_hash = row["viewer_email_hash"]
    if email_hash is None:
        viewer, email = "anonymous", None
    else:
        email = addresses.get(email_hash)
        viewer = "email" if email else "erased"
    return ShareLinkView(viewed_at=row["viewed_at"], viewer=viewer, email=email, user_agent=row["user_agent"])
