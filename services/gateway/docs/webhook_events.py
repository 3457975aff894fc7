"""The OpenAPI 3.1 `webhooks` section: one POST per public event type, documented from the same
models the webhooks service builds every body with (contracts/public_events.py)."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header
from fastapi.responses import Response
from pydantic import BaseModel

from contracts.public_events import PUBLIC_EVENTS, PublicEvent

SIGNED = ("Sent as Standard Webhooks 1.0: verify `webhook-signature` (`v1,<base64 HMAC-SHA256 of "
          "id.timestamp.body>` under the endpoint's `whsec_` secret; during a rotation two signatures, either "
          "may match) and refuse an old `webhook-timestamp`; `webhook-id` is the same on every retry, so use it "
          "to drop duplicates. Answer 2xx within 15 s; anything else (3xx included) is retried, 410 disables "
          "the endpoint.")
HEADERS = {
    "webhook_id": ("webhook-id", "The message id: the same on every retry and redelivery"),
    "webhook_timestamp": ("webhook-timestamp", "Unix seconds when this attempt was signed"),
    "webhook_signature": ("webhook-signature", "Space-separated `v1,<base64>` signatures"),
}


def _receiver(body: type[BaseModel]):
    """An endpoint function whose signature is what the receiver gets: the headers and `body`."""
    async def receive(**_: object) -> None:
        return None

    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                    annotation=Annotated[str, Header(alias=alias, description=description)])
                  for name, (alias, description) in HEADERS.items()]
    parameters.append(inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[body, Body()]))
    receive.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # FastAPI reads it
    return receive


def _document(app: FastAPI, event: PublicEvent) -> None:
    app.webhooks.add_api_route(
        event.name, _receiver(event.body), methods=["POST"], summary=event.name,
        description=f"{event.description}\n\n{SIGNED}", operation_id=f"webhook_{event.name.replace('.', '_')}",
        tags=["Webhook events"], response_class=Response, responses={200: {"description": "Any 2xx: received"}})


def document_webhooks(app: FastAPI) -> None:
    for event in PUBLIC_EVENTS.values():
        _document(app, event)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        for operations in schema.get("webhooks", {}).values():  # we send them; nobody answers us a 422
            for operation in operations.values():
                operation["responses"].pop("422", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
