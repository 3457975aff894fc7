"""Iframe tokens end to end: the seed's request and answer, /embed/{token} with no API key, the
tampering matrix (every claim and header field), expiry by the sharing service's clock,
revocation of one token and of a tenant's, wrong workspace or tenant, a deleted dashboard, key
rotation, the 10-a-minute budget shared by two gateways, and replay."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import orjson
import pytest

from contracts import STREAM_NAME
from contracts.embedding import project_audience
from contracts.sharing_commands import OpenEmbed
from services.eventlog.reader import EventReader
from services.readmodels.consistency import wait_for_checkpoint
from services.readmodels.rebuild import Rebuild, table_digest
from services.sharing.models import embeddable_dashboards, iframe_tokens
from services.sharing.projections import dashboards_to_embed, iframe_token_state
from tests.embedding.test_tenant_jwt import iframe_token
from tests.embedding.tokens import HS_SECRET, bearer, claims_for, parts, signed, with_changed
from tests.gateway.dashboards.test_refresh_and_delete import refreshed
from tests.generation.samples import encoded, sales
from tests.generation.test_viewer import dashboard_of

TENANT, WORKSPACE = "org-123", "workspace-456"


async def embedded(client, new_project, worker, **project):
    """A project with a real dashboard for the tenant (uploaded with tenant_id and workspace_id)."""
    owner = await new_project(**project)
    dashboard_id = await dashboard_of(client, owner, title="Tenant sales", tenant_id=TENANT, workspace_id=WORKSPACE)
    return owner, dashboard_id


async def token_for(client, owner, dashboard_id: str, **body) -> dict:
    answer = await client.post("/api/v1/dashboards/iframe-token", headers=owner.auth, json={
        "tenant_id": TENANT, "workspace_id": WORKSPACE, "dashboard_id": dashboard_id, **body})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def frame_ancestors(answer) -> str:
    directives = dict(d.strip().partition(" ")[::2] for d in answer.headers["content-security-policy"].split(";"))
    return directives["frame-ancestors"]


async def test_the_seeds_request_gives_the_seeds_answer_and_the_embed_draws_the_dashboard(
        client, new_project, worker, sharing, js):
    owner, dashboard_id = await embedded(client, new_project, worker)
    before = int(time.time())
    answer = await client.post("/api/v1/dashboards/iframe-token", headers=owner.auth, json={
        "tenant_id": TENANT, "workspace_id": WORKSPACE, "dashboard_id": dashboard_id})
    assert answer.status_code == 200 and set(answer.json()) == {"success", "data"}
    data = answer.json()["data"]
    assert set(data) == {"token", "dashboard_id", "expires_at"} and data["dashboard_id"] == dashboard_id
    assert before + 3600 - 5 <= data["expires_at"] <= int(time.time()) + 3600  # one hour by default
    header, claims, _ = parts(data["token"])
    assert header["alg"] == "EdDSA" and header["kid"].startswith(owner.project_id)
    assert {"iss", "aud", "jti", "iat", "exp", "tenant_id", "workspace_id", "dashboard_id"} <= set(claims)
    assert answer.headers["x-ratelimit-limit"] == "10" and answer.headers["x-ratelimit-remaining"] == "9"

    page = await client.get(f"/embed/{data['token']}")  # no API key
    assert page.status_code == 200 and "Tenant sales" in page.text and 'class="chart"' in page.text
    assert frame_ancestors(page) == "'none'"  # no embed origins set yet
    assert page.headers["referrer-policy"] == "no-referrer" and "no-store" in page.headers["cache-control"]
    assert "x-frame-options" not in page.headers

    origins = await client.put("/api/v1/project/embed-origins", headers=owner.auth,
                               json={"origins": ["https://app.example.com", "http://127.0.0.1:8080"]})
    assert origins.status_code == 200, origins.text
    assert (await client.get("/api/v1/project", headers=owner.auth)).json()["data"]["embed_origins"] == [
        "http://127.0.0.1:8080", "https://app.example.com"]
    again = await client.get(f"/embed/{data['token']}")
    assert frame_ancestors(again) == "http://127.0.0.1:8080 https://app.example.com"

    for seq in range(1, (await js.stream_info(STREAM_NAME)).state.last_seq + 1):  # the token is never an event
        assert data["token"].split(".")[2].encode() not in (await js.get_msg(STREAM_NAME, seq)).data


@pytest.mark.parametrize("origin", ["https://a.example; script-src *", "javascript:alert(1)", "https://a.example/path",
                                    "*", "'self'", "https://a.example 'unsafe-inline'"])
async def test_an_embed_origin_is_an_origin_and_nothing_a_policy_would_read_as_more(client, new_project, origin):
    owner = await new_project()
    refused = await client.put("/api/v1/project/embed-origins", headers=owner.auth, json={"origins": [origin]})
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR"


CHANGES = {
    "iss": {"claims": {"iss": "someone"}}, "aud": {"claims": {"aud": "dashloom:embed:other"}},
    "jti": {"claims": {"jti": "0" * 32}}, "iat": {"claims": {"iat": 1}}, "exp": {"claims": {"exp": 4_000_000_000}},
    "tenant_id": {"claims": {"tenant_id": "org-999"}}, "workspace_id": {"claims": {"workspace_id": "ws-other"}},
    "dashboard_id": {"claims": {"dashboard_id": "dsh_other"}}, "kid": {"header": {"kid": "x.0123456789ab"}},
    "alg": {"header": {"alg": "HS256"}}, "alg_none": {"header": {"alg": "none"}},
}


async def test_every_changed_claim_or_header_breaks_the_token(client, new_project, worker, sharing):
    owner, dashboard_id = await embedded(client, new_project, worker)
    token = (await token_for(client, owner, dashboard_id))["token"]
    assert (await client.get(f"/embed/{token}")).status_code == 200
    for name, change in CHANGES.items():
        page = await client.get(f"/embed/{with_changed(token, **change)}")
        assert page.status_code == 401, name
        assert "not valid" in page.text and frame_ancestors(page) == "'none'"
    unsigned = ".".join(token.split(".")[:2]) + "."
    for forged in (unsigned, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "not-a-token", "a.b.c"):
        assert (await client.get(f"/embed/{forged}")).status_code == 401


async def test_expiry_follows_valid_until(client, new_project, worker, sharing, clock):
    owner, dashboard_id = await embedded(client, new_project, worker)
    now = int(time.time())
    for valid_until, problem in ((now - 10, "in the future"), (now + 24 * 3600 + 60, "at most 24 hours"),
                                 (1700000000, "in the future")):
        refused = await client.post("/api/v1/dashboards/iframe-token", headers=owner.auth, json={
            "tenant_id": TENANT, "workspace_id": WORKSPACE, "dashboard_id": dashboard_id, "valid_until": valid_until})
        assert refused.status_code == 422 and problem in refused.json()["error"]
    short = await token_for(client, owner, dashboard_id, valid_until=now + 120)
    day = await token_for(client, owner, dashboard_id, valid_until=now + 23 * 3600)
    assert short["expires_at"] == now + 120
    clock.advance(timedelta(seconds=200))
    gone = await client.get(f"/embed/{short['token']}")
    assert gone.status_code == 410 and "expired" in gone.text
    assert (await client.get(f"/embed/{day['token']}")).status_code == 200


async def test_revoking_one_token_or_every_token_of_the_tenant(client, new_project, worker, sharing):
    owner, dashboard_id = await embedded(client, new_project, worker)
    first, second, third = [(await token_for(client, owner, dashboard_id))["token"] for _ in range(3)]
    jti = parts(first)[1]["jti"]
    revoked = await client.delete(f"/api/v1/iframe-tokens/{jti}", headers=owner.auth)
    assert revoked.status_code == 200 and revoked.json()["data"]["status"] == "revoked"
    page = await client.get(f"/embed/{first}")
    assert page.status_code == 410 and "revoked" in page.text
    assert (await client.get(f"/embed/{second}")).status_code == 200

    everything = await client.post(f"/api/v1/tenants/{TENANT}/iframe-tokens/revoke", headers=owner.auth)
    assert everything.status_code == 200 and everything.json()["data"]["tenant_id"] == TENANT
    for token in (second, third):
        assert (await client.get(f"/embed/{token}")).status_code == 410
    later = (await token_for(client, owner, dashboard_id))["token"]  # issued after: works
    assert (await client.get(f"/embed/{later}")).status_code == 200

    stranger = await new_project(name="Stranger")
    refused = await client.delete(f"/api/v1/iframe-tokens/{parts(later)[1]['jti']}", headers=stranger.auth)
    assert refused.status_code == 404  # another project's token is as absent as a missing one
    assert (await client.get(f"/embed/{later}")).status_code == 200


async def test_the_dashboard_must_be_that_tenants_in_that_workspace(client, new_project, worker, sharing, nc):
    owner, dashboard_id = await embedded(client, new_project, worker)
    for tenant_id, workspace_id in ((TENANT, "workspace-other"), ("org-999", WORKSPACE)):
        refused = await iframe_token(client, owner.auth, dashboard_id, tenant_id, workspace_id)
        assert refused.status_code == 404 and refused.json()["code"] == "NOT_FOUND"
    stranger = await new_project(name="Stranger")
    assert (await iframe_token(client, stranger.auth, dashboard_id)).status_code == 404

    token = (await token_for(client, owner, dashboard_id))["token"]
    assert (await client.delete(f"/api/v1/dashboards/{dashboard_id}", headers=owner.auth)).status_code == 200
    gone = await client.get(f"/embed/{token}")  # at once: read from the log, not a read model
    assert gone.status_code == 410 and "deleted" in gone.text
    decided = await nc.request(OpenEmbed.subject, OpenEmbed(token=token).model_dump_json().encode(),
                               timeout=10)  # the sharing service's own answer, not only the missing spec's
    assert orjson.loads(decided.data) == {"ok": False, "code": "GONE", "message": "This dashboard was deleted."}
    assert (await iframe_token(client, owner.auth, dashboard_id)).status_code == 404


async def test_keys_rotate_and_an_old_key_verifies_its_tokens_until_they_expire(client, new_project, worker, sharing,
                                                                               clock):
    owner, dashboard_id = await embedded(client, new_project, worker)
    first = (await token_for(client, owner, dashboard_id))["token"]
    clock.advance(timedelta(days=7, hours=-1))
    week = int(time.time()) + 7 * 86400
    before_rotation = await token_for(client, owner, dashboard_id, valid_until=week + 20 * 3600)
    assert parts(before_rotation["token"])[0]["kid"] == parts(first)[0]["kid"]
    clock.advance(timedelta(hours=2))
    rotated = await token_for(client, owner, dashboard_id, valid_until=week + 5 * 3600)
    assert parts(rotated["token"])[0]["kid"] != parts(first)[0]["kid"]
    for token in (before_rotation["token"], rotated["token"]):
        assert (await client.get(f"/embed/{token}")).status_code == 200


async def test_the_eleventh_token_in_a_minute_is_refused_across_two_gateways(client, gateway_client, new_project,
                                                                            worker, sharing, store):
    owner, dashboard_id = await embedded(client, new_project, worker)
    second = await gateway_client()
    answers = [await (client if n % 2 else second).post("/api/v1/dashboards/iframe-token", headers=owner.auth, json={
        "tenant_id": TENANT, "workspace_id": WORKSPACE, "dashboard_id": dashboard_id}) for n in range(11)]
    if int(answers[0].headers["x-ratelimit-reset"]) != int(answers[-1].headers["x-ratelimit-reset"]):
        pytest.skip("the minute turned during the burst; the budget restarted as it should")
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert [int(a.headers["x-ratelimit-remaining"]) for a in answers] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    over = answers[-1]
    assert over.json() == {"success": False, "error": "at most 10 iframe tokens a minute", "code": "RATE_LIMITED"}
    assert int(over.headers["retry-after"]) >= 1 and over.headers["ratelimit-policy"] == '"minutely";q=10;w=60'
    other_key = await client.post("/api/v1/api-keys", headers=owner.auth, json={"name": "other", "scopes": ["embed"]})
    other = {"Authorization": f"Bearer {other_key.json()['data']['key']}"}
    assert (await iframe_token(client, other, dashboard_id)).status_code == 200  # the budget is per caller


async def test_rebuilding_gives_the_same_token_states(client, new_project, worker, sharing, js, engine):
    owner, dashboard_id = await embedded(client, new_project, worker)
    tokens = [(await token_for(client, owner, dashboard_id))["token"] for _ in range(3)]
    await client.delete(f"/api/v1/iframe-tokens/{parts(tokens[0])[1]['jti']}", headers=owner.auth)
    await client.post(f"/api/v1/tenants/{TENANT}/iframe-tokens/revoke", headers=owner.auth)
    await token_for(client, owner, dashboard_id)
    last_seq = (await js.stream_info(STREAM_NAME)).state.last_seq
    for projection in (iframe_token_state, dashboards_to_embed):
        assert await wait_for_checkpoint(engine, projection.name, last_seq, 10)

    def digests():
        with engine.connect() as conn:
            states = conn.execute(iframe_tokens.select().order_by(iframe_tokens.c.issued_at)).mappings().all()
            return {t.name: table_digest(conn, t) for t in (iframe_tokens, embeddable_dashboards)}, \
                [(row["revoked_by"], row["revoked_at"] is not None) for row in states]

    before, states = digests()
    assert states == [("token", True), ("tenant", True), ("tenant", True), (None, False)]
    for projection in (iframe_token_state, dashboards_to_embed):
        report = await Rebuild(EventReader(js), engine, projection).run()
        assert report.final_seq == last_seq and report.matches_live is True
    assert digests() == (before, states)


async def test_a_token_signed_with_the_real_key_but_not_as_issued_is_refused(client, new_project, worker, sharing):
    """Were a signing key ever to leak, a token the log never issued (or issued otherwise) still fails."""
    owner, dashboard_id = await embedded(client, new_project, worker)
    token = (await token_for(client, owner, dashboard_id))["token"]
    header, claims, _ = parts(token)
    key = await sharing.iframe_tokens.keys.verifier(header["kid"])
    for change in ({"dashboard_id": "dsh_other"}, {"jti": "f" * 32}, {"workspace_id": "ws-other"}):
        forged = jwt.encode({**claims, **change}, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
        assert (await client.get(f"/embed/{forged}")).status_code == 401, change
    assert (await client.get(f"/embed/{token}")).status_code == 200


async def test_a_tenant_jwt_revokes_only_its_own_tenants_tokens(client, new_project, worker, sharing):
    owner, dashboard_id = await embedded(client, new_project, worker)
    token = (await token_for(client, owner, dashboard_id))["token"]
    await client.post("/api/v1/jwt-keys", headers=owner.auth, json={"kid": "hs", "alg": "HS256", "secret": HS_SECRET})
    other_tenant = bearer(signed(claims_for(project_audience(owner.project_id), tenant_id="org-999"), HS_SECRET,
                                 "HS256", "hs"))
    refused = await client.delete(f"/api/v1/iframe-tokens/{parts(token)[1]['jti']}", headers=other_tenant)
    assert refused.status_code == 404
    everything = await client.post(f"/api/v1/tenants/{TENANT}/iframe-tokens/revoke", headers=other_tenant)
    assert everything.status_code == 403 and everything.json()["code"] == "FORBIDDEN"
    assert (await client.get(f"/embed/{token}")).status_code == 200
    mine = bearer(signed(claims_for(project_audience(owner.project_id)), HS_SECRET, "HS256", "hs"))
    assert (await client.delete(f"/api/v1/iframe-tokens/{parts(token)[1]['jti']}", headers=mine)).status_code == 200
    assert (await client.get(f"/embed/{token}")).status_code == 410


@pytest.mark.parametrize("origin", ["https://a.example\n", "https://a.example\r\n", "https://a.example:8443\n"])
async def test_an_embed_origin_ending_in_a_line_break_is_refused(client, new_project, origin):
    """Python's `$` also matches before a final newline: such an origin reached the
    Content-Security-Policy header of every /embed page of the project (a broken header)."""
    owner = await new_project()
    refused = await client.put("/api/v1/project/embed-origins", headers=owner.auth, json={"origins": [origin]})
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR", refused.text
    shown = await client.get("/api/v1/project", headers=owner.auth)
    assert all("\n" not in value for value in shown.json()["data"].get("embed_origins", []))


async def test_a_token_issued_before_a_refresh_in_place_shows_the_new_version(client, new_project, worker, sharing):
    owner, dashboard_id = await embedded(client, new_project, worker)
    data = await token_for(client, owner, dashboard_id)
    assert "Tenant sales" in (await client.get(f"/embed/{data['token']}")).text
    answer = await refreshed(client, owner, dashboard_id, encoded(sales(300), "csv"), title="Tenant sales, March",
                             tenant_id=TENANT, workspace_id=WORKSPACE)
    assert answer["dashboard_id"] == dashboard_id
    page = await client.get(f"/embed/{data['token']}")
    assert page.status_code == 200 and "Tenant sales, March" in page.text and 'class="chart"' in page.text
