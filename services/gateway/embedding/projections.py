"""How the log changes the embedding read models: keys registered and deleted, origins set."""

from __future__ import annotations

from contracts import EmbedOriginsSet, TenantJwtKeyDeleted, TenantJwtKeyRegistered
from services.gateway.embedding.models import embed_origins, tenant_jwt_keys
from services.readmodels.projection import Projection, Rows

embedding = Projection("embedding", tenant_jwt_keys, embed_origins)


@embedding.on(TenantJwtKeyRegistered)
def _registered(event: TenantJwtKeyRegistered, rows: Rows) -> None:
    payload = event.payload
    rows["tenant_jwt_keys"].put({
        "project_id": event.project_id, "kid": payload.kid, "alg": payload.alg,
        "public_key_pem": payload.public_key_pem, "sealed_secret": payload.sealed_secret,
        "fingerprint": payload.fingerprint, "scopes": payload.scopes, "created_at": event.occurred_at})


@embedding.on(TenantJwtKeyDeleted)
def _deleted(event: TenantJwtKeyDeleted, rows: Rows) -> None:
    rows["tenant_jwt_keys"].delete((event.project_id, event.payload.kid))


@embedding.on(EmbedOriginsSet)
def _origins(event: EmbedOriginsSet, rows: Rows) -> None:
    rows["embed_origins"].put({"project_id": event.project_id, "origins": event.payload.origins,
                               "updated_at": event.occurred_at})
