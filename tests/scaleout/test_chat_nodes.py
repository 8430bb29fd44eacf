"""/chat across two server processes on one PostgreSQL and one Redis: presence and messages."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from tests.harness import (
    Client,
)
from tests.scaleout.conftest import register as register_on

pytestmark = pytest.mark.scaleout


@pytest.fixture
async def connect():
    clients: list[Client] = []

    async def open_on(url: str, token: str) -> Client:
        client = Client("/chat")
        clients.append(client)
        await client.connect(url, auth={"token": token})
        await client.wait("connection_established")
        return client

    yield open_on
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


async def register(url: str, first_name: str) -> tuple[dict, str]:
    login = await register_on(url, first_name=first_name)
    return login["user"], login["access_token"]


def brief(user: dict) -> dict:
    return {"id": user["id"], "name": user["first_name"], "is_staff": False}


async def test_present_and_presence_span_nodes(cluster, connect):
    a, b = cluster
    ann, ann_token = await register(a.url, "Ann")
    bo, bo_token = await register(b.url, "Bo")
    ann_on_a = await connect(a.url, ann_token)
    first = await ann_on_a.call("join", {"room": "general"})
    assert first["ok"] is True and first["data"]["present"] == [brief(ann)]

    bo_on_b = await connect(b.url, bo_token)
    joined = await bo_on_b.call("join", {"room": "general"})
    assert joined["data"]["present"] == [brief(ann), brief(bo)]
    assert await ann_on_a.wait("presence") == {
        "room": "general",
        "user": brief(bo),
        "action": "joined",
    }

    # Bo's second socket, on the other node, is not a second arrival.
    bo_on_a = await connect(a.url, bo_token)
    again = await bo_on_a.call("join", {"room": "general"})
    assert again["data"]["present"] == [brief(ann), brief(bo)]
    assert await ann_on_a.nothing("presence", within=0.4)

    sent = (await bo_on_b.call("message", {"room": "general", "body": "across"}))["data"]
    assert await ann_on_a.wait("message") == sent

    # Bo's socket on node b crashes: Bo is still in the room through node a.
    bo_on_b.sio.eio.ws._conn.transport.abort()
    assert await ann_on_a.nothing("presence", within=0.6)
    await bo_on_a.close()
    assert await ann_on_a.wait("presence") == {
        "room": "general",
        "user": brief(bo),
        "action": "left",
    }
    present = (await ann_on_a.call("join", {"room": "general"}))["data"]["present"]
    assert present == [brief(ann)]


async def test_racing_retries_on_two_nodes_store_one_message(cluster, connect):
    a, b = cluster
    writer, token = await register(a.url, "Wes")
    _, reader_token = await register(b.url, "Rae")
    reader = await connect(b.url, reader_token)
    on_a, on_b = await connect(a.url, token), await connect(b.url, token)
    for client in (reader, on_a, on_b):
        assert (await client.call("join", {"room": "general"}))["ok"] is True

    payload = {"room": "general", "body": "only once", "client_id": f"r-{uuid.uuid4().hex}"}
    acks = await asyncio.gather(*(c.call("message", payload) for c in (on_a, on_b, on_a, on_b)))
    assert all(ack["ok"] for ack in acks), acks
    assert len({ack["data"]["id"] for ack in acks}) == 1
    # Each retry is broadcast (at least once); all carry the one stored id.
    for _ in acks:
        assert (await reader.wait("message"))["id"] == acks[0]["data"]["id"]
    assert await reader.nothing("message", within=0.5)
    assert acks[0]["data"]["author"]["id"] == writer["id"]
