"""The generation worker, as the platform, the CLI and health see it: no read models of its own."""

from services.runtime.service import ServiceDeclaration

SERVICE = ServiceDeclaration(name="generation", tasks=("services.generation.app:work",))
