"""Every projection of the platform, by name, for the operator's replay commands."""

from __future__ import annotations

from services.gateway.projections import PROJECTIONS as GATEWAY
from services.readmodels.projection import Projection
from services.sharing.projections import PROJECTIONS as SHARING
from services.webhooks.projections import PROJECTIONS as WEBHOOKS

ALL_PROJECTIONS: dict[str, Projection] = {p.name: p for p in (*GATEWAY, *SHARING, *WEBHOOKS)}
