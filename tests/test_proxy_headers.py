"""Behind a proxy (issue 12 points 6 and 10): the client address and Secure cookies."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from server.identity import client_address
from tests.harness import NodeProcess
from tests.test_limits import node_env


def test_the_right_most_untrusted_forwarded_for_entry_is_the_client():
    trusted = ("127.0.0.1", "10.0.0.0/8")
    # nginx's $proxy_add_x_forwarded_for: what the client sent, then the address nginx saw
    spoofed = "203.0.113.7, 192.0.2.50"
    assert client_address("127.0.0.1", forwarded_for=spoofed, real_ip=None, trusted=trusted) == (
        "192.0.2.50"
    )
    # a chain of trusted proxies is skipped from the right (real_ip_recursive on)
    chain = "198.51.100.9, 192.0.2.50, 10.1.2.3"
    assert client_address("10.0.0.2", forwarded_for=chain, real_ip=None, trusted=trusted) == (
        "192.0.2.50"
    )
    # an untrusted peer's headers are ignored
    assert client_address(
        "192.0.2.1", forwarded_for=spoofed, real_ip="1.1.1.1", trusted=trusted
    ) == ("192.0.2.1")
    # every hop trusted: the left-most is where the request came from
    assert client_address(
        "127.0.0.1", forwarded_for="10.0.0.5, 10.0.0.6", real_ip=None, trusted=trusted
    ) == ("10.0.0.5")


@pytest.fixture
async def proxied_node(tmp_path):
    node = NodeProcess(node_env(tmp_path, ROOMCAST_TRUSTED_PROXIES="127.0.0.1"))
    try:
        await node.wait_ready()
        yield node
    finally:
        node.stop()


async def test_a_spoofed_left_part_does_not_bypass_the_login_limit(proxied_node):
    async with httpx.AsyncClient(base_url=proxied_node.url, timeout=60) as http:

        async def bad_login(i: int) -> int:
            r = await http.post(
                "/api/v1/auth/login",
                json={"email": "nobody@example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{i}, 192.0.2.50"},
            )
            return r.status_code

        # concurrently: the limit is counted before the password check, all in one window
        statuses = await asyncio.gather(*(bad_login(i) for i in range(25)))
        assert sorted(statuses) == [401] * 20 + [429] * 5
        # another client behind the same proxy has its own budget
        r = await http.post(
            "/api/v1/auth/login",
            json={"email": "nobody@example.com", "password": "wrong password"},
            headers={"X-Forwarded-For": "192.0.2.51"},
        )
        assert r.status_code == 401


async def test_cookies_are_secure_behind_a_trusted_tls_proxy(proxied_node):
    async with httpx.AsyncClient(base_url=proxied_node.url) as http:
        email = f"tls-{uuid.uuid4().hex[:8]}@example.com"
        creds = {"email": email, "password": "long enough"}
        r = await http.post("/api/v1/auth/register", json=creds)
        assert r.status_code == 201
        plain = r.headers.get_list("set-cookie")
        assert plain and not any("secure" in c.lower() for c in plain)
        r = await http.post(
            "/api/v1/auth/login", json=creds, headers={"X-Forwarded-Proto": "https"}
        )
        assert r.status_code == 200
        cookies = r.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("secure" in c.lower() for c in cookies), cookies
