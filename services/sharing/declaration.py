"""The sharing service, as the platform, the CLI and health see it."""

from contracts.sharing_commands import COMMANDS
from services.runtime.service import ServiceDeclaration
from services.sharing.models import metadata, personal_data
from services.sharing.projections import PROJECTIONS

SERVICE = ServiceDeclaration(
    name="sharing",
    projections=tuple(PROJECTIONS),
    tasks=("services.sharing.app:serve_commands",),
    tables=(*metadata.tables.values(), *personal_data.tables.values()),
    commands=tuple(command.subject for command in COMMANDS),
)
