"""The public webhook event types: which log event becomes which, and each one's `data` model.

The models are the public API: the sender builds every body with them and the gateway's
OpenAPI document (its `webhooks` section) is generated from them. Add fields, never rename or
drop one. Personal data (a private link's allowed emails, who asked) and secrets (link tokens)
never leave.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, create_model, model_serializer

from contracts.corrections import CORRECTION_EVENTS
from contracts.dashboards import DashboardCreated, DashboardDeleted, DashboardVersionAdded
from contracts.envelope import Event
from contracts.generation import GenerationCompleted, GenerationFailed
from contracts.sharing import ShareLinkIssued, ShareLinkRevoked
from contracts.webhooks import PUBLIC_EVENT_TYPES, WebhookEndpointDisabled


class DashboardLinks(BaseModel):
    dashboard: str = Field(description="The dashboard's spec: GET it with an API key")
    view: str = Field(description="The dashboard as an HTML page")
    pdf: str | None = Field(default=None, description="The PDF; present only when the dashboard has one")

    @model_serializer(mode="wrap")
    def _absent_pdf_left_out(self, serialize):
        data = serialize(self)
        if data.get("pdf") is None:
            data.pop("pdf", None)
        return data


def dashboard_links(dashboard_id: str, pdf: bool = False) -> DashboardLinks:
    base = f"/api/v1/dashboards/{dashboard_id}"
    return DashboardLinks(dashboard=base, view=f"{base}/view", pdf=f"{base}/pdf" if pdf else None)


class GenerationCompletedData(BaseModel):
    generation_id: str
    dashboard_id: str
    dashboard_version: int = Field(ge=1, description="The dashboard's version this generation made")
    title: str
    card_count: int = Field(ge=0)
    links: DashboardLinks


class GenerationFailedData(BaseModel):
    generation_id: str
    code: str = Field(description="A stable error code, e.g. EMPTY_FILE")
    reason: str = Field(description="What went wrong, in words a user can act on")


class ShareLinkIssuedData(BaseModel):
    share_link_id: str
    dashboard_id: str
    visibility: Literal["public", "private"]
    expires_at: AwareDatetime


class ShareLinkRevokedData(BaseModel):
    share_link_id: str
    reason: str | None


class DashboardCreatedData(BaseModel):
    dashboard_id: str
    tenant_id: str | None
    workspace_id: str | None
    name: str
    description: str | None
    links: DashboardLinks


class DashboardVersionAddedData(BaseModel):
    dashboard_id: str
    version: int = Field(ge=1, description="1 for the first data, then one more per refresh")
    generation_id: str = Field(description="The generation that made this version")
    title: str
    row_count: int = Field(ge=0)
    card_count: int = Field(ge=0)
    links: DashboardLinks = Field(description="They show the newest version")


class DashboardDeletedData(BaseModel):
    dashboard_id: str
    tenant_id: str | None
    workspace_id: str | None


class WebhookEndpointDisabledData(BaseModel):
    endpoint_id: str = Field(description="The endpoint that no longer receives deliveries until re-enabled")
    reason: str


class WebhookTestData(BaseModel):
    endpoint_id: str
    message: str


def _completed(event: GenerationCompleted) -> GenerationCompletedData:
    p = event.payload
    return GenerationCompletedData(generation_id=event.aggregate_id, dashboard_id=p.dashboard_id,
                                   dashboard_version=p.dashboard_version, title=p.title,
                                   card_count=p.card_count, links=dashboard_links(p.dashboard_id, p.pdf is not None))


def _failed(event: GenerationFailed) -> GenerationFailedData:
    return GenerationFailedData(generation_id=event.aggregate_id, code=event.payload.code, reason=event.payload.reason)


def _link_issued(event: ShareLinkIssued) -> ShareLinkIssuedData:
    p = event.payload
    return ShareLinkIssuedData(share_link_id=event.aggregate_id, dashboard_id=p.dashboard_id,
                               visibility=p.visibility, expires_at=p.expires_at)


def _link_revoked(event: ShareLinkRevoked) -> ShareLinkRevokedData:
    return ShareLinkRevokedData(share_link_id=event.aggregate_id, reason=event.payload.reason)


def _dashboard_created(event: DashboardCreated) -> DashboardCreatedData:
    p = event.payload
    return DashboardCreatedData(dashboard_id=p.dashboard_id, tenant_id=p.tenant_id, workspace_id=p.workspace_id,
                                name=p.name, description=p.description, links=dashboard_links(p.dashboard_id))


def _version_added(event: DashboardVersionAdded) -> DashboardVersionAddedData:
    p = event.payload
    return DashboardVersionAddedData(dashboard_id=p.dashboard_id, version=p.version, generation_id=p.generation_id,
                                     title=p.title, row_count=p.row_count, card_count=p.card_count,
                                     links=dashboard_links(p.dashboard_id, p.pdf is not None))


def _dashboard_deleted(event: DashboardDeleted) -> DashboardDeletedData:
    p = event.payload
    return DashboardDeletedData(dashboard_id=p.dashboard_id, tenant_id=p.tenant_id, workspace_id=p.workspace_id)


PRIVATE_CORRECTION_FIELDS = {"corrected_by", "idempotency_key"}  # who made it may name a person


def _correction_data(source: type[Event]) -> type[BaseModel]:
    """A correction's public data: its payload without who made it, with the dashboard's links."""
    payload = source.model_fields["payload"].annotation
    assert isinstance(payload, type) and issubclass(payload, BaseModel)
    fields: dict[str, Any] = {name: (field.annotation, field) for name, field in payload.model_fields.items()
                              if name not in PRIVATE_CORRECTION_FIELDS}
    return create_model(f"{source.__name__}Data", links=(DashboardLinks, ...), **fields)


CORRECTION_DATA = {source.model_fields["type"].default: _correction_data(source) for source in CORRECTION_EVENTS}


def _corrected(event: Event) -> BaseModel:
    data = CORRECTION_DATA[event.type]
    fields = event.payload.model_dump(exclude=PRIVATE_CORRECTION_FIELDS)
    return data(**fields, links=dashboard_links(event.payload.dashboard_id))


def _correction_type(event_class: type[Event]) -> str:
    """DashboardCardRemoved -> dashboard.card_removed"""
    words = re.findall(r"[A-Z][a-z]*", event_class.model_fields["type"].default)[1:]
    return "dashboard." + "_".join(word.lower() for word in words)


def _endpoint_disabled(event: WebhookEndpointDisabled) -> WebhookEndpointDisabledData:
    return WebhookEndpointDisabledData(endpoint_id=event.aggregate_id, reason=event.payload.reason)


@dataclass(frozen=True)
class PublicEvent:
    name: str  # the public type, e.g. generation.completed
    description: str
    data: type[BaseModel]
    body: type[BaseModel]  # {type, timestamp, data}: what is POSTed
    source: str | None  # the log event it is made from; None: sent by the API itself
    build: Callable[[Any], BaseModel] | None


def _public(event_type: str, description: str, data: type[BaseModel], source: type[Event] | None = None,
            build: Callable[[Any], BaseModel] | None = None) -> PublicEvent:
    name = "".join(part.title() for part in event_type.replace(".", "_").split("_")) + "Webhook"
    body = create_model(
        name, __doc__=description,
        type=(Literal[event_type], ...),  # type: ignore[arg-type]  # one Literal per public type, made here
        timestamp=(AwareDatetime, Field(description="When it happened (RFC 3339)")),
        data=(data, ...))
    return PublicEvent(event_type, description, data, body, source.model_fields["type"].default if source else None,
                       build)


PUBLIC_EVENTS: dict[str, PublicEvent] = {e.name: e for e in (
    _public("generation.completed", "A generation finished: its dashboard is ready.",
            GenerationCompletedData, GenerationCompleted, _completed),
    _public("generation.failed", "A generation failed; nothing was made.", GenerationFailedData,
            GenerationFailed, _failed),
    _public("share_link.issued", "A share link was issued for a dashboard (its token is never sent).",
            ShareLinkIssuedData, ShareLinkIssued, _link_issued),
    _public("share_link.revoked", "A share link was revoked: it opens nothing any more.",
            ShareLinkRevokedData, ShareLinkRevoked, _link_revoked),
    _public("dashboard.created", "A dashboard was made (empty for a tenant, or by an upload).",
            DashboardCreatedData, DashboardCreated, _dashboard_created),
    _public("dashboard.version_added", "A generation's result became a dashboard's newest version (its first "
            "data, or a refresh in place: same id, same links).", DashboardVersionAddedData, DashboardVersionAdded,
            _version_added),
    _public("dashboard.deleted", "A dashboard was deleted, with its share links, iframe tokens and embeds.",
            DashboardDeletedData, DashboardDeleted, _dashboard_deleted),
    *(_public(_correction_type(source), f"A person corrected a dashboard: {(source.__doc__ or '').strip()}",
              CORRECTION_DATA[source.model_fields["type"].default], source, _corrected)
      for source in CORRECTION_EVENTS),
    _public("webhook_endpoint.disabled", "One of the project's webhook endpoints was disabled (410 Gone, or 5 "
            "days without a success); sent to the project's other endpoints.", WebhookEndpointDisabledData,
            WebhookEndpointDisabled, _endpoint_disabled),
    _public("webhook.test", "Sent by POST /api/v1/webhooks/{id}/test, to that endpoint only.", WebhookTestData),
)}
if set(PUBLIC_EVENTS) != set(PUBLIC_EVENT_TYPES):
    raise RuntimeError("contracts/webhooks.py's WebhookEventType must list every public event type")


def public_data(event: Event) -> dict[str, Any]:
    """The `data` of a log event's webhook, as JSON (the websocket's final frames use it too)."""
    public = PUBLIC_EVENTS[SOURCES[event.type]]
    assert public.build is not None
    return public.build(event).model_dump(mode="json")


# log event type -> (public type, its data as JSON), for the fan-out and the websocket
SOURCES: dict[str, str] = {e.source: e.name for e in PUBLIC_EVENTS.values() if e.source}
PUBLIC: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    source: (event_type, public_data) for source, event_type in SOURCES.items()}


def webhook_body(event_type: str, occurred_at: datetime, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The body POSTed for an event: built (and so checked) by the type's own model."""
    body = PUBLIC_EVENTS[event_type].body(type=event_type, timestamp=occurred_at, data=data)
    return body.model_dump(mode="json")


def public_body(event: Event) -> dict[str, Any] | None:
    """The webhook body of a log event, or None if the event is not a public one."""
    public = PUBLIC_EVENTS.get(SOURCES.get(event.type, ""))
    if public is None or public.build is None:
        return None
    return webhook_body(public.name, event.occurred_at, public.build(event))
