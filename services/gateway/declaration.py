"""The gateway, as the platform, the CLI and health see it."""

from services.gateway.embedding.models import metadata as embedding_metadata
from services.gateway.models import metadata
from services.gateway.projections import PROJECTIONS
from services.runtime.service import ServiceDeclaration

SERVICE = ServiceDeclaration(
    name="gateway",
    projections=tuple(PROJECTIONS),
    tasks=("services.gateway.app:serve_http", "services.gateway.retention:sweep_uploads"),
    tables=(*metadata.tables.values(), *embedding_metadata.tables.values()),
)
