"""/openapi.json documents every public webhook event under OpenAPI 3.1 `webhooks`, from the
models the sender builds bodies with."""

from __future__ import annotations

from contracts.public_events import PUBLIC_EVENTS
from contracts.webhooks import PUBLIC_EVENT_TYPES


async def test_each_public_event_type_is_a_documented_signed_post(client):
    openapi = (await client.get("/openapi.json")).json()
    assert openapi["openapi"].startswith("3.1.")
    assert set(openapi["webhooks"]) == set(PUBLIC_EVENT_TYPES)
    schemas = openapi["components"]["schemas"]
    for event_type, operations in openapi["webhooks"].items():
        operation = operations["post"]
        assert {p["name"] for p in operation["parameters"] if p["in"] == "header"} == {
            "webhook-id", "webhook-timestamp", "webhook-signature"}
        assert "webhook-signature" in operation["description"] and set(operation["responses"]) == {"200"}
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[reference.rsplit("/", 1)[1]]
        assert body["properties"]["type"]["const"] == event_type
        assert body["required"] == ["type", "timestamp", "data"]
        data = schemas[body["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        assert set(data["properties"]) == set(PUBLIC_EVENTS[event_type].data.model_fields)
