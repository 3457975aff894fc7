"""Dashloom's public events: the only language the services share.

Subjects are `events.<aggregate>.<aggregate_id>` in the JetStream stream `EVENTS`.
"""

from contracts.corrections import (
    DashboardCardAdded,
    DashboardCardMoved,
    DashboardCardPinned,
    DashboardCardQueryChanged,
    DashboardCardRemoved,
    DashboardCardRenamed,
    DashboardColumnTypesSet,
    DashboardCorrectionUndone,
)
from contracts.dashboards import (
    DASHBOARD_ID_PREFIX,
    DashboardCreated,
    DashboardDeleted,
    DashboardVersionAdded,
    canonical_dashboard_id,
    is_dashboard_id,
)
from contracts.embedding import (
    EmbedOriginsSet,
    EmbedSigningKeyCreated,
    IframeTokenIssued,
    IframeTokenRevoked,
    TenantIframeTokensRevoked,
    TenantJwtKeyDeleted,
    TenantJwtKeyRegistered,
)
from contracts.envelope import EVENT_TYPES, TYPE_HEADER, VERSION_HEADER, Event, derive_event_id, subject_for
from contracts.generation import (
    BlobRef,
    DashboardRequested,
    GenerationCompleted,
    GenerationFailed,
    GenerationOptions,
    GenerationProgressed,
    GenerationStarted,
    MetricPoint,
    MetricSeries,
)
from contracts.operations import OPERATOR_PROJECT, ProjectionEventParked
from contracts.projects import (
    ApiKeyIssued,
    ApiKeyRevoked,
    ApiKeyRotated,
    ProjectCreated,
)
from contracts.sharing import (
    ShareLinkCodeRejected,
    ShareLinkCodeSent,
    ShareLinkErased,
    ShareLinkIssued,
    ShareLinkRevoked,
    ShareLinkSessionOpened,
    ShareLinkViewed,
)
from contracts.upcasting import UnknownEventType, decode_event, encode_event
from contracts.webhooks import (
    WebhookDeliveryAttempted,
    WebhookDeliveryFailed,
    WebhookDeliveryScheduled,
    WebhookDeliverySucceeded,
    WebhookEndpointDeleted,
    WebhookEndpointDisabled,
    WebhookEndpointRegistered,
    WebhookEndpointSecretRotated,
    WebhookEndpointUpdated,
)

STREAM_NAME = "EVENTS"
STREAM_SUBJECTS = ["events.>"]

__all__ = [
    "DASHBOARD_ID_PREFIX", "DashboardCreated", "DashboardDeleted", "DashboardVersionAdded",
    "canonical_dashboard_id", "is_dashboard_id",
    "DashboardCardAdded", "DashboardCardMoved", "DashboardCardPinned", "DashboardCardQueryChanged",
    "DashboardCardRemoved", "DashboardCardRenamed", "DashboardColumnTypesSet", "DashboardCorrectionUndone",
    "EmbedOriginsSet", "EmbedSigningKeyCreated", "IframeTokenIssued", "IframeTokenRevoked",
    "TenantIframeTokensRevoked", "TenantJwtKeyDeleted", "TenantJwtKeyRegistered",
    "EVENT_TYPES", "OPERATOR_PROJECT", "ProjectionEventParked", "STREAM_NAME", "STREAM_SUBJECTS",
    "ApiKeyIssued", "ApiKeyRevoked", "ApiKeyRotated",
    "BlobRef", "MetricPoint", "MetricSeries", "WebhookDeliveryAttempted", "WebhookDeliveryFailed",
    "WebhookDeliveryScheduled", "WebhookDeliverySucceeded", "WebhookEndpointDeleted", "WebhookEndpointDisabled",
    "WebhookEndpointRegistered", "WebhookEndpointSecretRotated", "WebhookEndpointUpdated",
    "DashboardRequested", "Event", "GenerationCompleted", "GenerationFailed", "GenerationOptions",
    "GenerationProgressed", "GenerationStarted", "ProjectCreated", "ShareLinkCodeRejected",
    "ShareLinkCodeSent", "ShareLinkErased", "ShareLinkIssued", "ShareLinkRevoked", "ShareLinkSessionOpened",
    "ShareLinkViewed", "UnknownEventType", "decode_event", "derive_event_id", "encode_event",
    "subject_for", "TYPE_HEADER", "VERSION_HEADER",
]
