"""`roomcast watch` signed in with a password outlives its ws-token and its access token.

Runs against the short-token server of tests/frontend (ws-token 4 s, access token 6 s): without
answering token_expiring, the server would disconnect the watch after 4 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

import httpx

from tests.frontend.conftest import JsServer


async def staff_alert(server: JsServer, email: str, title: str) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        r = await http.post(
            "/api/v1/auth/login", json={"email": "admin@example.com", "password": "admin-password"}
        )
        token = r.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        users = (await http.get("/api/v1/users", headers=auth)).json()["items"]
        user_id = next(u["id"] for u in users if u["email"] == email)
        body = {"user_id": user_id, "breach_id": "tty", "title": title, "severity": "MEDIUM",
                "confidence": 0.5}  # fmt: skip
        r = await http.post("/api/v1/alerts", json=body, headers=auth)
        assert r.status_code == 201, r.text
        return r.json()


async def test_watch_keeps_its_socket_across_token_lifetimes(js_server):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "watch", "/alerts", "--url", js_server.url,
        "--email", "bob@example.com", "--password", "bob-password", "--until", "breach_alert",
        env={**os.environ, **js_server.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    lines: list[dict] = []

    async def read_until(event: str) -> dict:
        while True:
            raw = await proc.stdout.readline()
            assert raw, f"watch ended: {lines} {(await proc.stderr.read()).decode()}"
            lines.append(json.loads(raw))
            if lines[-1].get("event") == event:
                return lines[-1]

    try:
        await asyncio.wait_for(read_until("token_expiring"), 20)
        # Past the ws-token's 4 s and the first access token's 6 s.
        await asyncio.sleep(7.5)
        alert = await staff_alert(js_server, "bob@example.com", "still listening")
        pushed = await asyncio.wait_for(read_until("breach_alert"), 20)
        assert pushed["data"]["message"]["id"] == alert["id"]
        assert not [line for line in lines if line.get("event") == "disconnect"], lines
        _, err = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, err.decode()
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
