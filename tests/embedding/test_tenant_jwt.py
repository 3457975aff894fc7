"""Tenant JWTs through the gateway: the project registers its keys; a token is let in only when
its kid names a key of the project its audience names, signed with that key's one algorithm,
unexpired, for tenants it lists. The attacker's matrix: expired, wrong audience, unknown kid,
alg none, HS256 signed with the RS256 public key, another tenant, another project, a deleted key."""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest

from contracts import STREAM_NAME, DashboardCreated
from contracts.embedding import project_audience
from services.gateway.edge.middleware import OPEN_PATHS, AuthAndRateLimit
from services.gateway.embedding.tenant_jwt import TenantJwtAuthenticator
from tests.embedding.tokens import (
    HS_SECRET,
    bearer,
    claims_for,
    ec_key,
    hs256_with_secret,
    private_pem,
    public_pem,
    raw_token,
    rsa_key,
    signed,
)


async def register(client, project, **body):
    return await client.post("/api/v1/jwt-keys", json=body, headers=project.auth)


async def tenant_dashboard(store, project, tenant_id: str = "org-123", workspace_id: str = "workspace-456") -> str:
    dashboard_id = f"dsh_{tenant_id}_{int(time.time() * 1000)}"
    await store.append(DashboardCreated(project_id=project.project_id, aggregate_id=dashboard_id, payload={
        "dashboard_id": dashboard_id, "tenant_id": tenant_id, "workspace_id": workspace_id, "name": "Sales"}))
    return dashboard_id


async def iframe_token(client, headers, dashboard_id: str, tenant_id: str = "org-123",
                       workspace_id: str = "workspace-456"):
    return await client.post("/api/v1/dashboards/iframe-token", headers=headers, json={
        "tenant_id": tenant_id, "workspace_id": workspace_id, "dashboard_id": dashboard_id})


@pytest.fixture
async def keyed(client, new_project):
    """A project with an HS256, an RS256 and an ES256 key registered."""
    project = await new_project()
    rsa_private, ec_private = rsa_key(), ec_key()
    for body in ({"kid": "hs", "alg": "HS256", "secret": HS_SECRET},
                 {"kid": "rs", "alg": "RS256", "public_key_pem": public_pem(rsa_private)},
                 {"kid": "es", "alg": "ES256", "public_key_pem": public_pem(ec_private)}):
        made = await register(client, project, **body)
        assert made.status_code == 201, made.text
    project.keys = {"hs": (HS_SECRET, "HS256"), "rs": (rsa_private, "RS256"), "es": (ec_private, "ES256")}
    project.audience = project_audience(project.project_id)
    project.rsa_public_pem = public_pem(rsa_private)
    return project


def token_of(project, kid: str = "rs", **claims) -> str:
    key, alg = project.keys[kid]
    return signed(claims_for(project.audience, **claims), key, alg, kid)


async def test_the_project_shows_its_audience_and_lists_its_keys_without_secrets(client, keyed, js):
    shown = (await client.get("/api/v1/project", headers=keyed.auth)).json()["data"]
    assert shown["audience"] == keyed.audience == f"dashloom:project:{keyed.project_id}"
    listed = (await client.get("/api/v1/jwt-keys", headers=keyed.auth)).json()["data"]
    assert [(k["kid"], k["alg"], k["audience"]) for k in listed] == [
        ("hs", "HS256", keyed.audience), ("rs", "RS256", keyed.audience), ("es", "ES256", keyed.audience)]
    assert listed[0]["fingerprint"] is None and len(listed[1]["fingerprint"]) == 16
    assert HS_SECRET not in str(listed)
    for seq in range(1, (await js.stream_info(STREAM_NAME)).state.last_seq + 1):  # sealed in the log
        assert HS_SECRET.encode() not in (await js.get_msg(STREAM_NAME, seq)).data


async def test_a_valid_token_of_each_algorithm_acts_for_its_tenant_only(client, keyed, store, sharing):
    dashboard_id = await tenant_dashboard(store, keyed)
    other_tenant = await tenant_dashboard(store, keyed, tenant_id="org-999")
    for kid in ("hs", "rs", "es"):
        token = token_of(keyed, kid, sub=f"user-{kid}")
        assert (await client.get("/api/v1/project", headers=bearer(token))).status_code == 200
        made = await iframe_token(client, bearer(token), dashboard_id)
        assert made.status_code == 200, made.text
        refused = await iframe_token(client, bearer(token), other_tenant, tenant_id="org-999")
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
        assert "x-ratelimit-remaining" in refused.headers
    several = token_of(keyed, "rs", sub="user-many", tenant_id=None, tenants=["org-123", "org-999"])
    assert (await iframe_token(client, bearer(several), other_tenant, tenant_id="org-999")).status_code == 200
    # The API key acts for every tenant of its project
    assert (await iframe_token(client, keyed.auth, other_tenant, tenant_id="org-999")).status_code == 200


@pytest.mark.parametrize("case", ["expired", "expired_within_leeway", "no_exp", "wrong_aud", "no_aud", "wrong_kid",
                                  "no_kid", "no_iat", "exp_in_a_century", "exp_past_a_day", "exp_as_text", "exp_1e300",
                                  "alg_none", "hs256_with_rs_public_key", "no_sub", "no_tenant", "asks_admin",
                                  "bad_signature", "iat_in_the_future"])
async def test_the_attackers_matrix_is_refused_401(client, keyed, case):
    now = int(time.time())
    tokens = {
        "expired": lambda: token_of(keyed, exp=now - 61),
        "expired_within_leeway": lambda: token_of(keyed, exp=now - 30),  # accepted: clocks differ
        "no_exp": lambda: token_of(keyed, exp=None),
        "no_iat": lambda: token_of(keyed, iat=None),
        "exp_in_a_century": lambda: token_of(keyed, exp=now + 100 * 365 * 86400),
        "exp_past_a_day": lambda: token_of(keyed, exp=now + 86400 + 120),
        "exp_as_text": lambda: token_of(keyed, exp=str(now + 600)),  # int("...") passes PyJWT's check
        "exp_1e300": lambda: token_of(keyed, exp=1e300),
        "wrong_aud": lambda: token_of(keyed, aud="dashloom:project:someone-else"),
        "no_aud": lambda: token_of(keyed, aud=None),
        "wrong_kid": lambda: signed(claims_for(keyed.audience), keyed.keys["rs"][0], "RS256", "unknown"),
        "no_kid": lambda: signed(claims_for(keyed.audience), keyed.keys["rs"][0], "RS256", None),
        "alg_none": lambda: raw_token({"alg": "none", "typ": "JWT", "kid": "rs"}, claims_for(keyed.audience)),
        "hs256_with_rs_public_key": lambda: hs256_with_secret({"alg": "HS256", "typ": "JWT", "kid": "rs"},
                                                              claims_for(keyed.audience), keyed.rsa_public_pem.encode()),
        "no_sub": lambda: token_of(keyed, sub=None),
        "no_tenant": lambda: token_of(keyed, tenant_id=None),
        "asks_admin": lambda: token_of(keyed, scope="read admin"),
        "bad_signature": lambda: token_of(keyed)[:-4] + ("AAAA" if not token_of(keyed).endswith("AAAA") else "BBBB"),
        "iat_in_the_future": lambda: token_of(keyed, iat=now + 3600),
    }
    answer = await client.get("/api/v1/project", headers=bearer(tokens[case]()))
    if case in ("expired_within_leeway", "no_iat", "no_sub"):  # clocks differ; iat and sub are the token's own
        assert answer.status_code == 200, (case, answer.text)
        return
    assert answer.status_code == 401, (case, answer.text)
    named = {"expired": "expired", "no_exp": "exp claim", "no_aud": "aud", "wrong_aud": "aud", "wrong_kid": "kid",
             "no_kid": "kid", "no_tenant": "tenant_id", "asks_admin": "scope", "bad_signature": "signature",
             "alg_none": "JWT", "exp_past_a_day": "24 hours", "iat_in_the_future": "not valid yet"}
    if case in named:  # which claim, and nothing the token held
        assert named[case] in answer.json()["error"], (case, answer.json()["error"])
    assert answer.json() == {"success": False, "error": answer.json()["error"], "code": "UNAUTHORIZED"}
    assert "x-ratelimit-remaining" in answer.headers  # failures spend the per-address budget


async def test_a_tenant_jwt_never_reaches_admin_routes_nor_another_project(client, keyed, new_project):
    token = token_of(keyed)
    for method, path in (("GET", "/api/v1/jwt-keys"), ("GET", "/api/v1/api-keys")):
        refused = await client.request(method, path, headers=bearer(token))
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    # Another project registers the very same RSA key under the same kid: a token for the first
    # project's audience still names the first project only
    other = await new_project(name="Other")
    assert (await register(client, other, kid="rs", alg="RS256", public_key_pem=keyed.rsa_public_pem)).status_code == 201
    mine = (await client.get("/api/v1/project", headers=bearer(token))).json()["data"]
    assert mine["id"] == keyed.project_id
    theirs = token_of(keyed, aud=project_audience(other.project_id))
    assert (await client.get("/api/v1/project", headers=bearer(theirs))).json()["data"]["id"] == other.project_id


async def test_a_deleted_key_is_refused_at_once_by_every_gateway(client, gateway_client, keyed):
    second = await gateway_client()
    token, other_key = token_of(keyed, "es"), token_of(keyed, "hs")
    for gateway in (client, second):  # each gateway has verified (and remembered) both tokens
        for used in (token, other_key):
            assert (await gateway.get("/api/v1/project", headers=bearer(used))).status_code == 200
    deleted = await client.delete("/api/v1/jwt-keys/es", headers=keyed.auth)
    assert deleted.status_code == 200 and deleted.json()["data"]["kid"] == "es"
    for gateway in (second, client):
        assert (await gateway.get("/api/v1/project", headers=bearer(token))).status_code == 401
        assert (await gateway.get("/api/v1/project", headers=bearer(other_key))).status_code == 200
    assert (await client.delete("/api/v1/jwt-keys/es", headers=keyed.auth)).status_code == 404


@pytest.mark.parametrize("body, problem", [
    ({"kid": "k", "alg": "HS256", "secret": "short"}, "at least 32"),
    ({"kid": "k", "alg": "HS256", "secret": None}, "HS256 takes `secret`"),
    ({"kid": "k", "alg": "RS256", "secret": HS_SECRET}, "RS256 takes `public_key_pem`"),
    ({"kid": "k", "alg": "HS256", "secret": "x" * 40, "public_key_pem": "pem"}, "and only it"),
    ({"kid": "k", "alg": "HS256", "secret": "-----BEGIN PUBLIC KEY-----" + "x" * 40}, "not an HS256 secret"),
    ({"kid": "k", "alg": "RS256", "public_key_pem": "rsa-private"}, "never the private one"),
    ({"kid": "k", "alg": "RS256", "public_key_pem": "rsa-1024"}, "at least 2048 bits"),
    ({"kid": "k", "alg": "ES256", "public_key_pem": "rsa-2048"}, "P-256"),
    ({"kid": "k", "alg": "RS256", "public_key_pem": "not a pem"}, "not a PEM public key"),
    ({"kid": "has space", "alg": "HS256", "secret": HS_SECRET}, "kid"),
    ({"kid": "k", "alg": "none", "secret": HS_SECRET}, "alg"),
])
async def test_a_key_that_does_not_fit_its_algorithm_is_refused(client, new_project, body, problem):
    project = await new_project()
    pems = {"rsa-private": lambda: private_pem(rsa_key()), "rsa-1024": lambda: public_pem(rsa_key(1024)),
            "rsa-2048": lambda: public_pem(rsa_key())}
    if body.get("public_key_pem") in pems:
        body = {**body, "public_key_pem": pems[body["public_key_pem"]]()}
    refused = await register(client, project, **{k: v for k, v in body.items() if v is not None})
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR"
    assert problem in refused.json()["error"], refused.json()
    assert (await client.get("/api/v1/jwt-keys", headers=project.auth)).json()["data"] == []


async def test_a_kid_is_registered_once(client, keyed):
    again = await register(client, keyed, kid="hs", alg="HS256", secret=HS_SECRET)
    assert again.status_code == 409 and again.json()["code"] == "CONFLICT"


async def test_a_key_of_one_project_never_signs_for_another(client, keyed, new_project):
    """Any customer can register keys: the attacker's own key, named in a token for the victim's audience."""
    attacker = await new_project(name="Attacker")
    evil_secret = "the-attackers-own-secret-of-40-characters"
    assert (await register(client, attacker, kid="evil", alg="HS256", secret=evil_secret)).status_code == 201
    assert (await register(client, attacker, kid="hs", alg="HS256", secret=evil_secret)).status_code == 201
    for kid in ("evil", "hs"):  # a kid only the attacker has, and one the victim has too
        forged = signed(claims_for(keyed.audience), evil_secret, "HS256", kid)
        assert (await client.get("/api/v1/project", headers=bearer(forged))).status_code == 401, kid
    own = signed(claims_for(project_audience(attacker.project_id)), evil_secret, "HS256", "evil")
    assert (await client.get("/api/v1/project", headers=bearer(own))).json()["data"]["id"] == attacker.project_id


async def test_a_tenant_jwt_reaches_only_the_routes_that_act_for_its_tenants(client, keyed):
    """Walks the whole spec: a project-wide route (every dashboard, metrics, keys...) refuses a tenant
    JWT whatever scopes it asks for; a route marked x-tenant-route checks the tenant itself."""
    spec = (await client.get("/openapi.json")).json()
    token = bearer(token_of(keyed, scope="read write embed"))
    tenant_routes = set()
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1/") or path in OPEN_PATHS:
            continue
        for method, operation in methods.items():
            answer = await client.request(method.upper(), path.replace("{", "").replace("}", ""), headers=token)
            refused = answer.status_code == 403 and ("tenant JWT may use only" in answer.text
                                                     or operation["x-required-scope"] == "admin")
            assert refused != bool(operation.get("x-tenant-route")), (method, path, answer.text)
            if operation.get("x-tenant-route"):
                tenant_routes.add((method, path))
    assert {("get", "/api/v1/project"), ("post", "/api/v1/dashboards/iframe-token"),
            ("delete", "/api/v1/iframe-tokens/{jti}")} <= tenant_routes


async def test_the_seeds_requests_with_a_tenant_jwt(client, keyed, store, sharing):
    """The embedding guide's calls, `Authorization: Bearer YOUR_JWT_TOKEN`, for the tenant the JWT names."""
    token = bearer(token_of(keyed, "rs", sub="seed-user", scope="read write embed"))
    made = await client.post("/api/v1/dashboards", headers=token, json={
        "tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales Dashboard",
        "description": "Q4 Sales Analytics"})
    assert made.status_code == 201, made.text
    dashboard_id = made.json()["data"]["dashboard_id"]
    assert (await client.post("/api/v1/dashboards", headers=token, json={
        "tenant_id": "org-999", "workspace_id": "w", "name": "Not mine"})).status_code == 403
    got = await client.get("/api/v1/dashboards/org-123", headers=token)
    assert got.status_code == 200 and got.json()["data"]["dashboard_id"] == dashboard_id
    other = await client.get("/api/v1/dashboards/org-999", headers=token)
    assert other.status_code == 403 and other.json()["code"] == "FORBIDDEN"
    embedded = await iframe_token(client, token, dashboard_id)
    assert embedded.status_code == 200 and set(embedded.json()["data"]) == {"token", "dashboard_id", "expires_at"}
    theirs = await tenant_dashboard(store, keyed, tenant_id="org-999")
    async with asyncio.timeout(10):  # the API key sees every tenant's, once projected
        while theirs not in str((await client.get("/api/v1/dashboards", headers=keyed.auth)).json()):
            await asyncio.sleep(0.05)
    listed = (await client.get("/api/v1/dashboards", headers=token)).json()
    assert [d["tenant_id"] for d in listed["data"]] == ["org-123"] and theirs not in str(listed)


@pytest.mark.parametrize("tenants", [["org-123\n"], "org-123", [["org-123"]], [123], [{"id": "org-123"}], [""],
                                     ["x" * 129], [f"org-{n}" for n in range(101)]])
async def test_a_tenants_claim_that_is_not_a_short_list_of_plain_ids_is_refused(client, keyed, tenants):
    """Nested arrays, numbers, objects, a trailing line break (Python's `$` matched before it), too
    long or too many: refused 401, never a Principal acting for an id the API would not accept."""
    token = token_of(keyed, tenant_id=None, tenants=tenants)
    answer = await client.get("/api/v1/project", headers=bearer(token))
    assert answer.status_code == 401, (tenants, answer.text)


@pytest.mark.parametrize("junk", [("\x00junk\n", ""), ("", "\n\x00\x00"), ("", "\x07trailer")])
async def test_a_public_key_with_control_characters_is_a_422_and_the_read_model_keeps_going(client, new_project,
                                                                                            junk):
    """cryptography reads a PEM block out of any surrounding bytes: a NUL around it reached the event
    and then PostgreSQL's read model (which refuses NUL), stalling every later jwt-keys change."""
    project = await new_project()
    before, after = junk
    pem = public_pem(rsa_key())
    refused = await register(client, project, kid="junk", alg="RS256", public_key_pem=before + pem + after)
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR", refused.text
    made = await register(client, project, kid="clean", alg="RS256", public_key_pem="note\n" + pem)
    assert made.status_code == 201, made.text
    assert [key["kid"] for key in (await client.get("/api/v1/jwt-keys", headers=project.auth)).json()["data"]] == ["clean"]


async def test_the_embedding_guides_token_creates_a_tenant_dashboard(client, new_project):
    """As seeds/001 makes one: PyJWT, HS256, no kid header, no iat, no sub; its tenant_id, exp and
    the project's audience. The project's only key checks it; it may make its tenant's dashboard."""
    project = await new_project()
    assert (await register(client, project, kid="backend", alg="HS256", secret=HS_SECRET)).status_code == 201
    audience = (await client.get("/api/v1/project", headers=project.auth)).json()["data"]["audience"]
    token = jwt.encode({"tenant_id": "org-123", "exp": int(time.time()) + 600, "aud": audience}, HS_SECRET,
                       algorithm="HS256")
    made = await client.post("/api/v1/dashboards/", headers=bearer(token),
                             json={"tenant_id": "org-123", "workspace_id": "workspace-456", "name": "Sales"})
    assert made.status_code == 201, made.text
    other = await client.post("/api/v1/dashboards", headers=bearer(token),
                              json={"tenant_id": "org-999", "workspace_id": "w", "name": "Not mine"})
    assert other.status_code == 403 and "tenant" in other.json()["error"]
    narrowed = jwt.encode({"tenant_id": "org-123", "exp": int(time.time()) + 600, "aud": audience, "scope": "read"},
                          HS_SECRET, algorithm="HS256")
    refused = await client.post("/api/v1/dashboards", headers=bearer(narrowed),
                                json={"tenant_id": "org-123", "workspace_id": "w", "name": "Read only"})
    assert refused.status_code == 403 and refused.json()["error"] == "this tenant JWT lacks the write scope"
    assert (await register(client, project, kid="second", alg="HS256", secret=HS_SECRET)).status_code == 201
    ambiguous = await client.get("/api/v1/project", headers=bearer(token))  # two keys: which one? it must say
    assert ambiguous.status_code == 401 and "kid" in ambiguous.json()["error"]


async def test_a_verified_token_is_remembered_until_a_key_of_its_project_changes(client, keyed, monkeypatch):
    """Each token's signature is checked once; a key registered later makes every token be checked again."""
    auth_layer = next(m for m in client.app.user_middleware if m.cls is AuthAndRateLimit)
    authenticator = next(kind for kind in auth_layer.kwargs["credentials"] if isinstance(kind, TenantJwtAuthenticator))
    verified: list[str] = []
    verify = authenticator._verify

    async def counted(token: str, digest: bytes):
        verified.append(token)
        return await verify(token, digest)

    monkeypatch.setattr(authenticator, "_verify", counted)
    tokens = [token_of(keyed, kid) for kid in ("hs", "rs", "es")]
    for _ in range(3):
        for token in tokens:
            assert (await client.get("/api/v1/project", headers=bearer(token))).status_code == 200
    assert verified == tokens
    assert (await register(client, keyed, kid="later", alg="HS256", secret=HS_SECRET)).status_code == 201
    for token in tokens:
        assert (await client.get("/api/v1/project", headers=bearer(token))).status_code == 200
    assert verified == tokens * 2


async def test_a_keys_registration_fixes_the_scopes_its_tokens_are_granted(client, new_project, store, sharing):
    """A key registered for read and embed only: its tokens read and embed their tenant's dashboards,
    never make one, and a token's scope claim cannot widen what its key grants."""
    project = await new_project()
    for wrong in (["admin"], [], ["read", "publish"]):
        refused = await register(client, project, kid="wrong", alg="HS256", secret=HS_SECRET, scopes=wrong)
        assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR", (wrong, refused.text)
    made = await register(client, project, kid="viewer", alg="HS256", secret=HS_SECRET, scopes=["read", "embed"])
    assert made.status_code == 201 and made.json()["data"]["scopes"] == ["embed", "read"], made.text
    listed = (await client.get("/api/v1/jwt-keys", headers=project.auth)).json()["data"]
    assert [(key["kid"], key["scopes"]) for key in listed] == [("viewer", ["embed", "read"])]
    audience = project_audience(project.project_id)

    def token(**claims) -> dict:
        return bearer(jwt.encode({"tenant_id": "org-123", "exp": int(time.time()) + 600, "aud": audience, **claims},
                                 HS_SECRET, algorithm="HS256", headers={"kid": "viewer"}))

    dashboard_id = await tenant_dashboard(store, project)
    seen = await client.get("/api/v1/tenants/org-123/dashboards", headers=token())
    assert seen.status_code == 200, seen.text
    embedded = await iframe_token(client, token(), dashboard_id)
    assert embedded.status_code == 200, embedded.text
    make = await client.post("/api/v1/dashboards", headers=token(),
                             json={"tenant_id": "org-123", "workspace_id": "w", "name": "Not granted"})
    assert make.status_code == 403 and make.json()["error"] == "this tenant JWT lacks the write scope", make.text
    widened = await client.get("/api/v1/tenants/org-123/dashboards", headers=token(scope="read write"))
    assert widened.status_code == 401 and widened.json()["error"].endswith(
        ": its scope claim may hold only what its key grants: embed, read"), widened.text


async def test_a_key_registered_without_scopes_grants_read_write_and_embed(client, new_project):
    project = await new_project()
    made = await register(client, project, kid="backend", alg="HS256", secret=HS_SECRET)
    assert made.status_code == 201 and made.json()["data"]["scopes"] == ["embed", "read", "write"], made.text
