"""Fuzz suite (issue 12): hypothesis over every socket event's payload and over raw packet
shapes, and a hypothesis-driven walk over the OpenAPI document for every REST operation.

Asserts: no 5xx on REST, an ack for every packet that asked for one, the socket still
answering afterwards. Bounded (max_examples, deadline=None); the counts are printed.
Hypothesis runs in a worker thread and talks to the server through the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter

import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namespaces import NAMESPACES

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
INTS = st.one_of(
    st.integers(-10, 10**6),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), INTS, st.floats(allow_nan=False), st.text(max_size=40)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    [
        "room",
        "body",
        "zone_id",
        "id",
        "alert_id",
        "member_id",
        "limit",
        "before_id",
        "token",
        "type",
        "name",
        "content",
        "ttl",
        "version",
        "unread_only",
        "client_id",
        "timestamp",
    ]
)
PAYLOADS = st.one_of(JSON, st.dictionaries(FIELD_NAMES, JSON, max_size=5))


def events_of(cls) -> list[str]:
    names = [n[3:] for n in dir(cls) if n.startswith("on_") and callable(getattr(cls, n))]
    return sorted(set(names) - {"connect", "disconnect"})


class RawSocket:
    """A raw WebSocket on one namespace; `call` sends an acked packet and awaits its ack."""

    def __init__(self, url: str, namespace: str, token: str) -> None:
        self.url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        self.namespace, self.token = namespace, token
        self.next_id = 0

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, max_size=None)
        assert (await asyncio.wait_for(self.ws.recv(), 5)).startswith("0{")
        await self.ws.send(f"40{self.namespace},{json.dumps({'token': self.token})}")
        frame = await asyncio.wait_for(self.ws.recv(), 5)
        assert frame.startswith(f"40{self.namespace},"), frame

    async def call_raw(self, body: str) -> str:
        self.next_id += 1
        ack_id = self.next_id
        await self.ws.send(f"42{self.namespace},{ack_id}{body}")
        prefix = f"43{self.namespace},{ack_id}["
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), 10)
            if frame == "2":
                await self.ws.send("3")
            elif isinstance(frame, str) and frame.startswith(prefix):
                return frame[len(prefix) - 1 :]


@pytest.fixture
async def fuzz_sockets(server, new_user):
    _, token, _ = await new_user(staff=True)
    sockets = {}
    for cls in NAMESPACES:
        sock = RawSocket(server.url, cls.path, token)
        await sock.open()
        sockets[cls.path] = (sock, events_of(cls))
    yield sockets
    for sock, _ in sockets.values():
        await sock.ws.close()


async def test_fuzz_every_socket_event_and_raw_packet_shapes(fuzz_sockets):
    loop = asyncio.get_running_loop()
    counts: Counter = Counter()
    names = [(ns, event) for ns, (_, events) in fuzz_sockets.items() for event in events]
    print(f"\nfuzzing {len(names)} socket events in {len(fuzz_sockets)} namespaces")

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    @FUZZ
    @given(target=st.sampled_from(names), payload=PAYLOADS)
    def payloads(target, payload):
        namespace, event = target
        sock = fuzz_sockets[namespace][0]
        ack = json.loads(run(sock.call_raw(json.dumps([event, payload]))))
        assert isinstance(ack, list) and len(ack) == 1 and isinstance(ack[0], dict), ack
        assert "ok" in ack[0], ack
        if ack[0]["ok"] is False:
            assert ack[0]["error"]["code"] != "internal_error", (event, payload, ack)
        counts["socket payload cases"] += 1

    @FUZZ
    @given(
        namespace=st.sampled_from(sorted(fuzz_sockets)),
        body=st.one_of(
            st.text(max_size=60),
            st.builds(
                lambda e, rest: f'["{e}"{rest}',
                st.sampled_from(["ping", "join"]),
                st.text(max_size=30),
            ),
            st.builds(lambda n: "[" * n + "]" * n, st.integers(1, 3000)),
        ).filter(lambda b: not b[:1].isdigit()),
    )
    def raw_shapes(namespace, body):
        sock = fuzz_sockets[namespace][0]
        ack = json.loads(run(sock.call_raw(body)))
        assert isinstance(ack, list) and isinstance(ack[0], dict) and "ok" in ack[0], ack
        counts["socket raw packet cases"] += 1

    await loop.run_in_executor(None, payloads)
    await loop.run_in_executor(None, raw_shapes)
    for sock, _ in fuzz_sockets.values():  # every socket still answers
        ack = json.loads(await sock.call_raw('["ping",{"timestamp":"after"}]'))
        assert ack[0]["ok"] is True
    print(f"fuzz counts: {dict(counts)} (every acked packet answered, no internal_error)")
    assert counts["socket payload cases"] >= 40 and counts["socket raw packet cases"] >= 40


PATH_VALUES = st.one_of(
    INTS.map(str), st.text("abcdefgh-_0123456789", min_size=1, max_size=80), st.just("general")
)
QUERY_VALUES = st.one_of(INTS.map(str), st.text(max_size=20), st.sampled_from(["true", "x"]))


async def test_fuzz_every_rest_operation_of_the_openapi_document(server, http, new_user):
    _, token, _ = await new_user(staff=True)
    spec = server.openapi  # as published at start (tests/conftest.py)
    operations = [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        and "logout" not in path  # would end the fuzzing login
    ]
    assert len(operations) >= 20, "the OpenAPI document lists the REST operations"
    loop = asyncio.get_running_loop()
    statuses: Counter = Counter()
    errors: list = []
    auth = {"authorization": f"Bearer {token}"}

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    @settings(FUZZ, max_examples=6 * len(operations))
    @given(
        op=st.sampled_from(operations),
        data=st.data(),
    )
    def walk(op, data):
        method, path, spec_op = op
        params = re.findall(r"{(\w+)}", path)
        url = path
        for name in params:
            url = url.replace("{" + name + "}", data.draw(PATH_VALUES, label=name))
        query = {}
        for param in spec_op.get("parameters", []):
            if param.get("in") == "query" and data.draw(st.booleans()):
                query[param["name"]] = data.draw(QUERY_VALUES)
        body = data.draw(st.one_of(PAYLOADS, st.just(None)))
        kwargs = {"headers": auth, "params": query}
        if method in {"POST", "PUT", "PATCH"} and body is not None:
            kwargs["content"] = json.dumps(body)
            kwargs["headers"] = {**auth, "content-type": "application/json"}
        r = run(http.request(method, url, **kwargs))
        statuses[r.status_code // 100 * 100] += 1
        if r.status_code >= 500:
            errors.append((method, url, query, body, r.status_code, r.text[:200]))

    await loop.run_in_executor(None, walk)
    total = sum(statuses.values())
    print(
        f"\nREST fuzz: {total} cases over {len(operations)} operations, by status class "
        f"{dict(sorted(statuses.items()))}, 5xx: {len(errors)}"
    )
    assert not errors, errors[:5]
