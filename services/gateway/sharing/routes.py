"""/api/v1 share links: issue (the URL is shown once), list, get, revoke (and erase), the view log.

The gateway only authenticates and forwards: the sharing service decides every command over
NATS request-reply (contracts/sharing_commands.py); its answer, or its refusal, becomes the envelope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.sharing_commands import Caller, DashboardLinks, GetLink, IssueLink, LinkViews, RevealLink, RevokeLink
from services.gateway.dashboards.access import VisibleDashboard
from services.gateway.edge.auth import TENANT_ROUTE, Principal
from services.gateway.edge.bounds import Email, ResourceId
from services.gateway.edge.dependencies import Commands, Limit, Offset, ScopedRoute, principal_of
from services.gateway.edge.envelope import Failure, Page, Success, ok, page

UNANSWERED: dict[int | str, dict[str, Any]] = {
    503: {"model": Failure, "description": "The sharing service did not answer (code UNAVAILABLE)"}}
router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Share links"], responses=UNANSWERED)


async def share_link_caller(request: Request) -> Caller:
    """The one place these routes learn who calls (the middleware's principal)."""
    principal: Principal = principal_of(request)
    return Caller(project_id=principal.project_id, plan=principal.plan, key_id=principal.key_id)


Sharer = Annotated[Caller, Depends(share_link_caller)]


class ShareLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_emails: list[Email] | None = Field(
        default=None, max_length=100, description="Premium: only these addresses may open the link (a private link)")
    expires_at: AwareDatetime | None = Field(
        default=None, description="Premium: when the link stops working (at most a year ahead); default 7 days")


class ShareLinkOut(BaseModel):
    id: str
    dashboard_id: str
    visibility: Literal["public", "private"]
    allowed_emails: list[str]
    token_prefix: str = Field(description="The first characters of the link's token, to recognise it")
    status: Literal["active", "expired", "revoked"]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    erased: bool = Field(description="The link's addresses were erased for good")
    view_count: int
    last_viewed_at: datetime | None


class ShareLinkCreated(ShareLinkOut):
    url: str = Field(description="The link itself. A public link's owner gets it again from "
                                 "POST /share-links/{id}/reveal; a private link's recipients need no copy")


class ShareLinkViewOut(BaseModel):
    viewed_at: datetime
    viewer: Literal["email", "anonymous", "erased"]
    email: str | None
    user_agent: str


@router.post("/dashboards/{dashboard_id}/share-links", openapi_extra=TENANT_ROUTE, status_code=201,
             response_model=Success[ShareLinkCreated])
async def create_share_link(dashboard: VisibleDashboard, caller: Sharer, commands: Commands, request: Request,
                            body: ShareLinkCreate | None = None):
    body = body or ShareLinkCreate()
    link = await commands.ask(IssueLink(caller=caller, dashboard_id=dashboard.dashboard_id,
                                        allowed_emails=body.allowed_emails, expires_at=body.expires_at))
    return ok(_with_url(request, link), 201)


def _with_url(request: Request, link) -> dict:
    return {**link.model_dump(exclude={"token"}), "url": f"{str(request.base_url).rstrip('/')}/s/{link.token}"}


@router.post("/share-links/{link_id}/reveal", response_model=Success[ShareLinkCreated])
async def reveal_share_link(link_id: ResourceId, caller: Sharer, commands: Commands, request: Request):
    """A live public link's URL again, for its owner to copy (kept sealed, never in the clear). A revoked or
    expired link: 410; a private link: 409 (its recipients open it with a code sent to their address)."""
    return ok(_with_url(request, await commands.ask(RevealLink(caller=caller, link_id=link_id))))


@router.get("/dashboards/{dashboard_id}/share-links", openapi_extra=TENANT_ROUTE, response_model=Page[ShareLinkOut])
async def list_share_links(dashboard: VisibleDashboard, caller: Sharer, commands: Commands, limit: Limit = 100,
                           offset: Offset = 0):
    found = await commands.ask(DashboardLinks(caller=caller, dashboard_id=dashboard.dashboard_id,
                                              limit=limit, offset=offset))
    return page([link.model_dump() for link in found.items], found.total, limit, offset)


@router.get("/share-links/{link_id}", response_model=Success[ShareLinkOut])
async def get_share_link(link_id: ResourceId, caller: Sharer, commands: Commands):
    return ok((await commands.ask(GetLink(caller=caller, link_id=link_id))).model_dump())


@router.delete("/share-links/{link_id}", response_model=Success[ShareLinkOut])
async def revoke_share_link(link_id: ResourceId, caller: Sharer, commands: Commands,
                            erase: Annotated[bool, Query(description="Also destroy the link's email addresses "
                                                                     "for good (they are no longer shown)")] = False):
    return ok((await commands.ask(RevokeLink(caller=caller, link_id=link_id, erase=erase))).model_dump())


@router.get("/share-links/{link_id}/views", response_model=Page[ShareLinkViewOut])
async def share_link_views(link_id: ResourceId, caller: Sharer, commands: Commands, limit: Limit = 100, offset: Offset = 0):
    found = await commands.ask(LinkViews(caller=caller, link_id=link_id, limit=limit, offset=offset))
    return page([view.model_dump() for view in found.items], found.total, limit, offset)
