"""Every service's declaration, found under services/, and the rules they must keep together.

Checked when `dashloom up` or the CLI starts: a projection name or a table claimed twice, or a
projection that writes a table its service does not own, stops it before anything runs.
"""

from __future__ import annotations

import importlib

from services.readmodels.checkpoints import bookkeeping
from services.readmodels.projection import Projection
from services.runtime.discovery import DECLARATION_MODULE, declared_service_names
from services.runtime.service import ServiceDeclaration


class DeclarationConflict(Exception):
    """Two services claim one projection, table or command, or a service writes what it does not own."""


def declared_services() -> list[ServiceDeclaration]:
    return [importlib.import_module(f"services.{name}.{DECLARATION_MODULE}").SERVICE
            for name in declared_service_names()]


def projections_by_name(services: list[ServiceDeclaration]) -> dict[str, Projection]:
    found: dict[str, Projection] = {}
    owners: dict[str, str] = {}
    for service in services:
        for projection in service.projections:
            if projection.name in found:
                raise DeclarationConflict(f"two projections named {projection.name!r}: "
                                          f"in {owners[projection.name]} and in {service.name}")
            found[projection.name], owners[projection.name] = projection, service.name
    return found


def table_owners(services: list[ServiceDeclaration]) -> dict[str, str]:
    """table name -> the one service that owns it; each projection writes only its service's tables."""
    owners = {name: "readmodels" for name in bookkeeping.tables}
    for service in services:
        for table in service.tables:
            if table.name in owners:
                raise DeclarationConflict(f"table {table.name!r} is declared by {owners[table.name]} "
                                          f"and by {service.name}")
            owners[table.name] = service.name
    for service in services:
        for projection in service.projections:
            for table in projection.tables().values():
                if owners.get(table.name) != service.name:
                    raise DeclarationConflict(f"{service.name}'s projection {projection.name!r} writes "
                                              f"{table.name!r}, owned by {owners.get(table.name, 'no service')}")
    return owners


def commands_by_subject(services: list[ServiceDeclaration]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for service in services:
        for subject in service.commands:
            if subject in owners:
                raise DeclarationConflict(f"{subject!r} is answered by {owners[subject]} and by {service.name}")
            owners[subject] = service.name
    return owners


def checked(services: list[ServiceDeclaration]) -> list[ServiceDeclaration]:
    projections_by_name(services)
    table_owners(services)
    commands_by_subject(services)
    return services


SERVICES = checked(declared_services())
ALL_PROJECTIONS: dict[str, Projection] = projections_by_name(SERVICES)
