"""The event envelope every Dashloom event carries, and the registry of event types."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

SUBJECT_ROOT = "events"
# Headers of every stored event, beside JetStream's own Nats-Msg-Id (= event_id)
TYPE_HEADER = "Dashloom-Type"
VERSION_HEADER = "Dashloom-Version"
# One NATS subject token: validated by pydantic's compiled pattern (a Python validator here
# cost more than the rest of decoding an event).
SubjectToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]

EVENT_TYPES: dict[str, type[Event]] = {}
CURRENT_VERSIONS: dict[str, int] = {}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Envelope: identity, ordering and tracing fields; the facts live in `payload`.

    A subclass names its `type`, `version`, `aggregate` (the subject token) and payload model.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate: ClassVar[str]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    project_id: SubjectToken
    aggregate_id: SubjectToken
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: Any

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        type_name = cls.model_fields["type"].default
        if isinstance(type_name, str):
            EVENT_TYPES[type_name] = cls
            CURRENT_VERSIONS[type_name] = cls.model_fields["version"].default

    @property
    def subject(self) -> str:
        return subject_for(self.aggregate, self.aggregate_id)

    @classmethod
    def current_version(cls) -> int:
        return CURRENT_VERSIONS[cls.model_fields["type"].default]

    def caused(self, event_class: builtins.type[Event], *, aggregate_id: str | None = None,
               name: str | None = None, **fields: Any) -> Event:
        """A new event caused by this one, with an id derived from this event's id.

        A handler that reacts to a redelivered event therefore emits the same ids again, and
        JetStream's Nats-Msg-Id dedup stores them once.
        """
        return event_class(
            event_id=derive_event_id(self.event_id, name or event_class.model_fields["type"].default),
            project_id=self.project_id,
            aggregate_id=aggregate_id or self.aggregate_id,
            correlation_id=self.correlation_id or self.event_id,
            causation_id=self.event_id,
            **fields,
        )


def derive_event_id(cause: uuid.UUID, name: str) -> uuid.UUID:
    return uuid.uuid5(cause, name)


def subject_for(aggregate: str, aggregate_id: str) -> str:
    return f"{SUBJECT_ROOT}.{aggregate}.{aggregate_id}"
