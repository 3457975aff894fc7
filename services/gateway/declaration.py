"""The gateway, as the platform, the CLI and health see it: each feature's projections and their tables."""

from services.gateway.corrections.projections import corrections
from services.gateway.embedding.projections import embedding
from services.gateway.generation.projections import generation_status
from services.gateway.integrations.projections import endpoints as integration_endpoints
from services.gateway.integrations.projections import integrations
from services.gateway.keys.projections import project_access
from services.gateway.metrics.projections import metrics
from services.runtime.service import ServiceDeclaration

PROJECTIONS = (generation_status, project_access, metrics, integrations, integration_endpoints, embedding,
               corrections)

SERVICE = ServiceDeclaration(
    name="gateway",
    projections=PROJECTIONS,
    tasks=("services.gateway.app:serve_http", "services.gateway.generation.retention:sweep_uploads",
           "services.gateway.dashboards.blob_sweep:sweep_deleted_dashboards"),
    tables=tuple(table for projection in PROJECTIONS for table in projection.tables().values()),
)
