"""Old event versions are upcast on read, so a replay of old events still works after a schema change.

An upcaster turns the JSON of (type, version N) into the JSON of (type, version N+1); chains
of them bring any stored version up to the one the code knows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from contracts.envelope import CURRENT_VERSIONS, EVENT_TYPES, Event

JsonObject = dict[str, Any]
UPCASTERS: dict[tuple[str, int], Callable[[JsonObject], JsonObject]] = {}


class UnknownEventType(Exception):
    """The log holds a type this code does not know (written by a newer service)."""


def upcaster(event_type: str, from_version: int):
    def register(function: Callable[[JsonObject], JsonObject]):
        UPCASTERS[(event_type, from_version)] = function
        return function

    return register


def upcast(data: JsonObject) -> JsonObject:
    while (step := UPCASTERS.get((data["type"], data["version"]))) is not None:
        data = step(data)
        data["version"] += 1
    return data


def decode_event(raw: bytes, event_type: str | None = None, version: int | None = None) -> Event:
    """Decode stored JSON into the current event model; type and version may come from headers."""
    if event_type is not None and version == CURRENT_VERSIONS.get(event_type):
        # the validator itself, as model_validate_json calls it: a replay decodes every event here
        return EVENT_TYPES[event_type].__pydantic_validator__.validate_json(raw)
    data = upcast(orjson.loads(raw))
    event_class = EVENT_TYPES.get(data["type"])
    if event_class is None:
        raise UnknownEventType(data["type"])
    return event_class.model_validate(data)


def encode_event(event: Event) -> bytes:
    return event.model_dump_json().encode()
