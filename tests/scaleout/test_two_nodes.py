"""Two server processes on one PostgreSQL and one Redis: revocation and ws-tokens span nodes."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.harness import (
    Client,
    NodeProcess,
    refusal,
)
from tests.scaleout.conftest import register

pytestmark = pytest.mark.scaleout


async def test_logout_on_one_node_disconnects_sockets_on_the_other(cluster):
    a, b = cluster
    login = await register(a.url)
    on_b = Client("/alerts")
    try:
        await on_b.connect(b.url, auth={"token": login["access_token"]})
        await on_b.wait("connection_established")
        async with httpx.AsyncClient(base_url=a.url) as http:
            r = await http.post(
                "/api/v1/auth/logout",
                headers={"Authorization": f"Bearer {login['access_token']}"},
            )
            assert r.status_code == 204
        await on_b.wait_disconnected(timeout=5)
    finally:
        await on_b.close()


async def test_ws_token_spent_on_one_node_is_refused_on_the_other(cluster):
    a, b = cluster
    login = await register(a.url)
    async with httpx.AsyncClient(base_url=a.url) as http:
        r = await http.post(
            "/api/v1/auth/ws-token", headers={"Authorization": f"Bearer {login['access_token']}"}
        )
    ws_token = r.json()["ws_token"]
    first = Client("/chat")
    try:
        await first.connect(b.url, auth={"token": ws_token})
        assert (await first.wait("connection_established"))["user_id"] == login["user"]["id"]
        data = await refusal(a.url, "/chat", auth={"token": ws_token})
        assert (data["code"], data["reason"]) == (4001, "token_revoked")
    finally:
        await first.close()


async def staff_login(node: NodeProcess, cluster_env: dict[str, str]) -> dict:
    """A staff account made the way operators make one (`roomcast create-user --staff`)."""
    email, password = f"staff-{uuid.uuid4().hex[:8]}@example.com", "staff password"
    roomcast = Path(sys.executable).parent / "roomcast"
    proc = await asyncio.create_subprocess_exec(
        str(roomcast),
        "create-user",
        email,
        "--password",
        password,
        "--staff",
        env={**os.environ, **cluster_env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out.decode()
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        r = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return r.json()


async def test_alert_posted_on_one_node_reaches_tabs_on_both(cluster):
    a, b = cluster
    user = await register(a.url)
    staff = await staff_login(b, cluster.env)
    token = {"token": user["access_token"]}
    tab_a, tab_b = Client("/alerts"), Client("/alerts")
    try:
        await tab_a.connect(a.url, auth=token)
        await tab_b.connect(b.url, auth=token)
        for tab in (tab_a, tab_b):
            assert (await tab.wait("unread_count"))["count"] == 0
        async with httpx.AsyncClient(base_url=b.url, timeout=10) as http:
            r = await http.post(
                "/api/v1/alerts",
                headers={"Authorization": f"Bearer {staff['access_token']}"},
                json={
                    "user_id": user["user"]["id"],
                    "breach_id": "b-1",
                    "title": "leak",
                    "severity": "HIGH",
                    "confidence": 0.9,
                },
            )
        assert r.status_code == 201, r.text
        alert_id = r.json()["id"]
        for tab in (tab_a, tab_b):
            assert (await tab.wait("breach_alert"))["message"]["id"] == alert_id
            assert (await tab.wait("unread_count"))["count"] == 1

        # Marking it read in the tab on node B updates the tab on node A.
        ack = await tab_b.call("mark_read", {"alert_id": alert_id})
        assert ack["ok"], ack
        update = await tab_a.wait("alert_update")
        assert (update["alert_id"], update["update_type"]) == (alert_id, "marked_read")
        assert (await tab_a.wait("unread_count"))["count"] == 0
    finally:
        await tab_a.close()
        await tab_b.close()


async def test_a_role_change_on_one_node_closes_the_users_sockets_on_the_other(cluster):
    a, b = cluster
    admin = await staff_login(a, cluster.env)
    login = await register(a.url)
    on_b = Client("/alerts")
    try:
        await on_b.connect(b.url, auth={"token": login["access_token"]})
        await on_b.wait("connection_established")
        async with httpx.AsyncClient(base_url=a.url) as http:
            r = await http.patch(
                f"/api/v1/users/{login['user']['id']}",
                json={"is_staff": True},
                headers={"Authorization": f"Bearer {admin['access_token']}"},
            )
            assert r.status_code == 200, r.text
        await on_b.wait_disconnected(timeout=5)
    finally:
        await on_b.close()
