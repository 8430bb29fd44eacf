"""`roomcast send-alert` from another process reaches the user's sockets, with and without Redis."""

from __future__ import annotations

import asyncio
import os
import sys


async def run_cli(server, *args: str) -> tuple[int, str, str]:
    settings = server.settings
    env = {
        **os.environ,
        "ROOMCAST_JWT_SECRET": settings.jwt_secret,
        "ROOMCAST_DATABASE_URL": settings.database_url,
        "ROOMCAST_REDIS_PREFIX": settings.redis_prefix,
    }
    env.pop("ROOMCAST_REDIS_URL", None)
    if settings.redis_url:
        env["ROOMCAST_REDIS_URL"] = settings.redis_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "send-alert",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_cli_alert_reaches_every_tab_of_that_user(server, new_user, sio_client):
    await new_user(staff=True)  # the embedded default signs the request as a staff user
    user, token, _ = await new_user()
    other_user, other_token, _ = await new_user()
    tabs = [await sio_client("/alerts", token), await sio_client("/alerts", token)]
    other = await sio_client("/alerts", other_token)
    for client in [*tabs, other]:
        await client.wait("unread_count")
    code, out, err = await run_cli(
        server,
        str(user["id"]),
        "--title",
        "Credentials found in a paste",
        "--severity",
        "high",
        "--confidence",
        "0.9",
        "--server-url",
        server.url,
    )
    assert code == 0, err
    assert f"sent to user {user['id']}" in out
    for tab in tabs:
        alert = (await tab.wait("breach_alert"))["message"]
        assert alert["title"] == "Credentials found in a paste"
        assert alert["severity"] == "HIGH" and alert["confidence"] == 0.9
        assert (await tab.wait("unread_count"))["count"] == 1
    # The same way, an alert for the other user: the first one it hears of is its own.
    code, _, err = await run_cli(
        server, str(other_user["id"]), "--title", "Yours", "--server-url", server.url
    )
    assert code == 0, err
    assert (await other.wait("breach_alert"))["message"]["title"] == "Yours"


async def test_cli_rejects_bad_input_with_one_line(server, new_user):
    user, _, _ = await new_user()
    code, _, err = await run_cli(
        server, str(user["id"]), "--title", "x", "--severity", "apocalyptic"
    )
    assert code == 2 and "severity" in err and "Traceback" not in err
    code, _, err = await run_cli(server, "999999", "--title", "x", "--server-url", server.url)
    assert code == 2 and "not found" in err and "Traceback" not in err
