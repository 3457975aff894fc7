"""One envelope for every answer, errors included, with nothing internal leaking out."""

from fastapi import APIRouter


async def test_success_envelope(client, new_project):
    project = await new_project(name="Envelope Inc")
    body = (await client.get("/api/v1/project", headers=project.auth)).json()
    assert body["success"] is True and body["data"]["name"] == "Envelope Inc"
    assert body["data"]["rate_limit"] == {"limit": 1000, "window_seconds": 3600}


async def test_validation_errors(client, new_project):
    project = await new_project()
    for path in ["/api/v1/metrics?limit=1001", "/api/v1/metrics?limit=abc", "/api/v1/metrics?offset=-1",
                 "/api/v1/metrics?start_date=yesterday", "/api/v1/metrics?start_date=2024-13-01",
                 "/api/v1/metrics?start_date=2024-05-01&end_date=2024-04-01", "/api/v1/dashboards?limit=0",
                 "/api/v1/metrics?offset=142859350161269702262784", "/api/v1/dashboards?offset=9223372036854775808"]:
        answer = await client.get(path, headers=project.auth)
        assert answer.status_code == 422, path
        body = answer.json()
        assert body["success"] is False and body["code"] == "VALIDATION_ERROR" and body["error"], path
    bad_body = await client.post("/api/v1/api-keys", json={"name": ""}, headers=project.auth)
    assert bad_body.status_code == 422 and bad_body.json()["error"].startswith("name:")
    not_json = await client.post("/api/v1/api-keys", content=b"{nope", headers={
        **project.auth, "Content-Type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["code"] == "VALIDATION_ERROR"
    not_utf8 = await client.post("/api/v1/api-keys", content=b"\xff\xfe", headers={
        **project.auth, "Content-Type": "application/json"})
    assert not_utf8.status_code == 422 and not_utf8.json()["code"] == "VALIDATION_ERROR"
    extra = await client.post("/api/v1/api-keys", json={"name": "x", "scopes": ["root"]}, headers=project.auth)
    assert extra.status_code == 422


async def test_unknown_routes_and_methods(client, new_project):
    project = await new_project()
    missing = await client.get("/api/v1/nothing-here", headers=project.auth)
    assert missing.status_code == 404 and missing.json() == {
        "success": False, "error": "no such resource", "code": "NOT_FOUND"}
    wrong_method = await client.put("/api/v1/project", headers=project.auth)
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "METHOD_NOT_ALLOWED"
    outside = await client.get("/not-the-api")
    assert outside.status_code == 404 and outside.json()["code"] == "NOT_FOUND"


async def test_unexpected_errors_say_nothing_internal(client, new_project):
    router = APIRouter()

    @router.get("/api/v1/explode")
    async def explode():
        raise RuntimeError("database password is hunter2")

    client.app.include_router(router)
    project = await new_project()
    answer = await client.get("/api/v1/explode", headers=project.auth)
    assert answer.status_code == 500
    assert answer.json() == {"success": False, "error": "internal server error", "code": "SERVER_ERROR"}
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["X-RateLimit-Limit"] == "1000"


async def test_health_needs_no_key(client, nats_server):
    answer = await client.get("/api/v1/health")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["bus"]["status"] == "up" and data["database"]["status"] == "up"
    assert set(data["services"]) == {"gateway", "generation", "sharing", "webhooks"}
    assert "X-RateLimit-Limit" not in answer.headers
