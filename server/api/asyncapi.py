"""The AsyncAPI 3 document of the Socket.IO side, built from server.api.events.

One channel per namespace; each client event is a `receive` operation whose `reply` is its
ack, each server event a `send` operation. Schemas are the pydantic models' JSON Schemas
under components.schemas, shared with the OpenAPI document where the shapes are the same.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from server.api.events import (
    COMMON_CLIENT,
    COMMON_ERRORS,
    COMMON_SERVER,
    NAMESPACES,
    ClientEvent,
    ConnectError,
    Namespace,
)
from server.api.schemas import ErrorDetail

REF = "#/components/schemas/{model}"


class _Schemas:
    def __init__(self) -> None:
        self.found: dict[str, dict] = {}

    def ref(self, model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template=REF)
        for name, sub in schema.pop("$defs", {}).items():
            self._add(name, sub)
        self._add(model.__name__, schema)
        return {"$ref": REF.format(model=model.__name__)}

    def _add(self, name: str, schema: dict) -> None:
        known = self.found.setdefault(name, schema)
        if known != schema:
            raise ValueError(f"two different schemas are both called {name}")


def _ack(schemas: _Schemas, event: ClientEvent) -> dict:
    data: dict[str, Any]
    if event.ack is None:
        data = {"type": "null"}
    else:
        data = schemas.ref(event.ack)
        if event.ack_list:
            data = {"type": "array", "items": data}
    codes = sorted(set(event.errors) | set(COMMON_ERRORS))
    return {
        "oneOf": [
            {
                "type": "object",
                "required": ["ok", "data"],
                "properties": {"ok": {"const": True}, "data": data},
            },
            {
                "type": "object",
                "required": ["ok", "error"],
                "properties": {
                    "ok": {"const": False},
                    "error": {
                        "allOf": [
                            schemas.ref(ErrorDetail),
                            {"properties": {"code": {"enum": codes}}},
                        ]
                    },
                },
            },
        ]
    }


def _channel_key(namespace: Namespace) -> str:
    return namespace.path.strip("/")


def build_asyncapi(*, version: str = "1", host: str = "127.0.0.1:8000") -> dict:
    schemas = _Schemas()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for ns in NAMESPACES:
        key = _channel_key(ns)
        messages: dict[str, Any] = {}
        client = {**COMMON_CLIENT, **ns.client}
        server = {**COMMON_SERVER, **ns.server}
        for name, event in client.items():
            codes = sorted(set(event.errors) | set(COMMON_ERRORS))
            messages[f"{name}.request"] = {
                "name": name,
                "title": f"{name} (client → server)",
                "summary": event.summary,
                "payload": schemas.ref(event.payload) if event.payload else {"type": "null"},
            }
            messages[f"{name}.ack"] = {
                "name": f"{name} ack",
                "title": f"{name} ack",
                "summary": "`{ok: true, data}` or `{ok: false, error}`; error codes: "
                + ", ".join(codes),
                "payload": _ack(schemas, event),
                "x-error-codes": codes,
            }
            operations[f"{key}.{name}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": event.summary,
                "messages": [{"$ref": f"#/channels/{key}/messages/{name}.request"}],
                "reply": {"messages": [{"$ref": f"#/channels/{key}/messages/{name}.ack"}]},
            }
        for name, event in server.items():
            messages[f"{name}.event"] = {
                "name": name,
                "title": f"{name} (server → client)",
                "summary": event.summary + (f" To: {event.to}." if event.to else ""),
                "payload": schemas.ref(event.payload),
            }
            operations[f"{key}.on_{name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": event.summary,
                "messages": [{"$ref": f"#/channels/{key}/messages/{name}.event"}],
            }
        channels[key] = {
            "address": ns.path,
            "title": ns.path,
            "description": ns.summary
            + " A refused connect raises `connect_error` with the ConnectError data.",
            "messages": messages,
        }
    schemas.ref(ConnectError)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Roomcast Socket.IO API",
            "version": version,
            "description": (
                "The Socket.IO half of Roomcast (Socket.IO v5 over Engine.IO v4, path "
                "/socket.io/). Each channel is a namespace. Connect with the access token "
                "(or a ws-token) as `auth.token`, `?token=` or the `access_token` cookie. "
                "Every client event answers an ack `{ok: true, data}` or `{ok: false, error: "
                "{code, message, fields}}`. The contract in prose: docs/protocol.md; the REST "
                "half: /docs/openapi.json."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "roomcast": {
                "host": host,
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": "Socket.IO (websocket or polling transport)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas.found},
    }
