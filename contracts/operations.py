"""Events about the platform itself, for its operators.

Subject: events.projection.<projection name>
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel

from contracts.envelope import Event

OPERATOR_PROJECT = "-"  # the project of an event no project owns


class ProjectionEventParkedPayload(BaseModel):
    """A projection could not apply the event at `seq` and went on without it (see `dashloom replay parked`)."""

    projection: str
    seq: int
    parked_event_id: str
    parked_event_type: str
    error_class: str


class ProjectionEventParked(Event):
    aggregate: ClassVar[str] = "projection"
    type: Literal["ProjectionEventParked"] = "ProjectionEventParked"
    version: Literal[1] = 1
    payload: ProjectionEventParkedPayload
