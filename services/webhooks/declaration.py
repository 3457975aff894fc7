"""The webhooks service, as the platform, the CLI and health see it."""

from contracts.webhook_commands import COMMANDS
from services.runtime.service import ServiceDeclaration
from services.webhooks.models import metadata
from services.webhooks.projections import PROJECTIONS

SERVICE = ServiceDeclaration(
    name="webhooks",
    projections=tuple(PROJECTIONS),
    tasks=("services.webhooks.app:deliver",),
    tables=tuple(metadata.tables.values()),
    commands=tuple(command.subject for command in COMMANDS),
)
