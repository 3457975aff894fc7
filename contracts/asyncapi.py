"""The public events as an AsyncAPI 3.0 document, for subscribers outside Dashloom.

faststream writes it from the registry: one channel per event type on its subject, the payload
schema from the pydantic model itself, so the document cannot drift from what is appended.
`dashloom events asyncapi` prints it and the gateway serves it at `/asyncapi.json`.
"""

from __future__ import annotations

from importlib.metadata import version

import orjson

from contracts.envelope import CURRENT_VERSIONS, EVENT_TYPES, TYPE_HEADER, VERSION_HEADER, subject_for

DESCRIPTION = (
    "Every change of state in Dashloom is one of these events, appended to the JetStream stream "
    "`EVENTS` on `events.<aggregate>.<aggregate_id>`. Several types share an aggregate's subject: "
    f"the `{TYPE_HEADER}` header names the type and `{VERSION_HEADER}` its schema version. "
    "A new version never reuses an old version's meaning; readers upcast old versions on read.")


def asyncapi_document() -> dict:
    from faststream.nats import NatsBroker  # only the CLI and the gateway's docs route need it
    from faststream.specification import AsyncAPI

    broker = NatsBroker("nats://nats1:4222", description="The NATS cluster of a Dashloom deployment (compose.yaml)")
    for name, event_class in sorted(EVENT_TYPES.items()):
        broker.publisher(subject_for(event_class.aggregate, "{aggregate_id}"), schema=event_class, title=name,
                         description=" ".join(filter(None, [f"{name}, version {CURRENT_VERSIONS[name]}.",
                                                                      (event_class.__doc__ or "").strip()])))
    specification = AsyncAPI(broker, title="Dashloom events", version=version("dashloom"), description=DESCRIPTION,
                             schema_version="3.0.0").to_specification()
    document = orjson.loads(specification.to_json())
    for name, channel in document["channels"].items():
        aggregate = EVENT_TYPES[name].aggregate
        channel["parameters"] = {"aggregate_id": {"description": f"the id of the {aggregate} the event is about"}}
        message = document["components"]["messages"][f"{name}:Message"]
        message["headers"] = _headers(name)
        message["correlationId"] = {"location": "$message.payload#/correlation_id"}
    return document


def _headers(name: str) -> dict:
    return {"type": "object", "required": ["Nats-Msg-Id", TYPE_HEADER, VERSION_HEADER], "properties": {
        "Nats-Msg-Id": {"type": "string", "format": "uuid", "description": "the event_id; JetStream deduplicates on it"},
        TYPE_HEADER: {"const": name},
        VERSION_HEADER: {"const": str(CURRENT_VERSIONS[name])}}}
