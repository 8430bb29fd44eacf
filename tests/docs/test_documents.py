"""The served API documents are complete: every REST route is in /docs/openapi.json (write
operations with a requestBody, every operation with a typed answer and the error body), and
every `on_<event>` handler of every namespace is in /docs/asyncapi.json with its ack.

Real answers are checked against the documented shapes (extra keys refused), so the
documents cannot drift from what the server sends.
"""

from __future__ import annotations

import inspect
import re

import pytest

from namespaces import NAMESPACES
from server.api import schemas

# Served outside the API: the console's redirects and static files, the documents themselves.
NOT_API = re.compile(r"^/(app(/.*)?|docs(/.*)?|favicon\.ico)?$")
WRITES = {"post", "put", "patch"}
# Writes whose request has no body at all (the path says everything).
NO_BODY = {
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/ws-token"),
    ("post", "/api/v1/invoices/{invoice_id}/pay"),
    ("post", "/api/v1/alerts/{alert_id}/read"),
    ("post", "/api/v1/members/{member_id}/checkout"),
}


def openapi_path(route_path: str) -> str:
    path = "/" + route_path.strip("/")
    return re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", path)


def api_routes(server) -> set[tuple[str, str]]:
    found = set()
    for route in server.asgi.sanic.router.routes:
        path = openapi_path(route.path)
        if NOT_API.match(path):
            continue
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                found.add((method.lower(), path))
    return found


async def test_every_route_is_documented_with_bodies_and_answers(server, http):
    spec = (await http.get("/docs/openapi.json")).json()
    routes = api_routes(server)
    assert len(routes) > 40
    for method, path in sorted(routes):
        operation = spec["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is not in the OpenAPI document"
        assert operation.get("summary"), f"{method.upper()} {path} has no summary"
        if method in WRITES and (method, path) not in NO_BODY:
            assert "requestBody" in operation, f"{method.upper()} {path} has no requestBody"
        responses = operation["responses"]
        assert "default" not in responses, f"{method.upper()} {path}"
        success = [code for code in responses if code.startswith("2")]
        assert success, f"{method.upper()} {path} documents no success answer"
        for code, answer in responses.items():
            if code.startswith("4"):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorBody", (method, path, code)
    schemas_ = spec["components"]["schemas"]
    assert "ErrorBody" in schemas_ and "NewAlert" in schemas_ and "Record" in schemas_
    assert {"bearer", "cookie"} <= set(spec["components"]["securitySchemes"])


async def test_request_schemas_are_the_validating_models(http):
    spec = (await http.get("/docs/openapi.json")).json()
    create = spec["paths"]["/api/v1/alerts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewAlert"
    }
    new_alert = spec["components"]["schemas"]["NewAlert"]
    assert set(new_alert["required"]) == {"user_id", "breach_id", "title", "severity", "confidence"}
    assert new_alert["properties"]["severity"]["enum"] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    listing = spec["paths"]["/api/v1/alerts"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["limit"]["in"] == "query" and params["limit"]["schema"]["maximum"] == 100
    assert spec["components"]["schemas"]["ErrorBody"]["examples"]


def client_events(cls) -> set[str]:
    lifecycle = {"connect", "disconnect"}
    return {
        name[3:]
        for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction)
        if name.startswith("on_") and name[3:] not in lifecycle
    }


async def test_every_socket_handler_is_in_the_asyncapi_document(http):
    doc = (await http.get("/docs/asyncapi.json")).json()
    assert doc["asyncapi"].startswith("3.")
    for cls in NAMESPACES:
        key = cls.path.strip("/")
        channel = doc["channels"][key]
        assert channel["address"] == cls.path
        for event in sorted(client_events(cls)):
            operation = doc["operations"].get(f"{key}.{event}")
            assert operation is not None, f"{cls.path} {event} is not in the AsyncAPI document"
            assert operation["action"] == "receive"
            assert f"{event}.request" in channel["messages"]
            ack = channel["messages"][f"{event}.ack"]
            assert "validation_error" in ack["x-error-codes"], (cls.path, event)
            assert operation["reply"]["messages"]
        for event in ("connection_established", "pong", "token_expiring"):
            assert doc["operations"][f"{key}.on_{event}"]["action"] == "send"
    assert "ConnectError" in doc["components"]["schemas"]


async def test_the_documents_pages_are_served_without_a_cdn(http):
    page = await http.get("/docs")
    if page.status_code in (301, 302, 307, 308):
        page = await http.get(page.headers["location"])
    assert page.status_code == 200
    assert "/app/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "loads from another host"
    bundle = await http.get("/app/vendor/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and "javascript" in bundle.headers["content-type"]
    asyncapi = await http.get("/docs/asyncapi", follow_redirects=True)
    assert asyncapi.status_code == 200 and "asyncapi.js" in asyncapi.text
    icon = await http.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/api/v1/auth/me", schemas.Me),
        ("/api/v1/alerts", schemas.AlertList),
        ("/api/v1/zones", schemas.ZoneList),
        ("/api/v1/chat/rooms", schemas.RoomList),
        ("/api/v1/subscriptions", schemas.SubscriptionList),
        ("/api/v1/invoices", schemas.InvoiceList),
        ("/api/v1/members", schemas.MemberList),
        ("/api/v1/checkins", schemas.CheckinList),
        ("/api/v1/users", schemas.UserList),
        ("/api/v1/checkins/stats", schemas.CheckinStats),
    ],
)
async def test_real_answers_match_the_documented_shapes(http, new_user, path, shape):
    _, token, _ = await new_user(staff=True)
    headers = {"Authorization": f"Bearer {token}"}
    zone = await http.post("/api/v1/zones", json={"name": f"z{id(shape)}.example"}, headers=headers)
    schemas.Zone.model_validate(zone.json())
    record = await http.post(
        f"/api/v1/zones/{zone.json()['id']}/records",
        json={"type": "A", "name": "www", "content": "192.0.2.1"},
        headers=headers,
    )
    schemas.Record.model_validate(record.json())
    answer = await http.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    shape.model_validate(answer.json())
    refused = await http.get(path)
    schemas.ErrorBody.model_validate(refused.json())
