"""`roomcast watch` and `roomcast call` from real subprocesses against a real server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys

import pytest

from server import cli

PASSWORD = "correct horse battery"  # what the new_user fixture registers with


def cli_env(server) -> dict[str, str]:
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
    return env


async def start(server, *args: str) -> asyncio.subprocess.Process:
    if args[0] in ("watch", "call"):
        args = (*args, "--url", server.url)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        *args,
        env=cli_env(server),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run(server, *args: str) -> tuple[int, str, str]:
    proc = await start(server, *args)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


class Lines:
    """The JSON lines a `roomcast watch` prints, read with a bound on every wait."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.seen: list[dict] = []
        self.taken: set[int] = set()

    async def until(self, predicate, timeout: float = 20) -> dict:
        """The first line, not returned before, that matches (lines may come in any order)."""
        for index, line in enumerate(self.seen):
            if index not in self.taken and predicate(line):
                self.taken.add(index)
                return line

        async def read() -> dict:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    err = (await self.proc.stderr.read()).decode()
                    raise AssertionError(f"watch ended early; seen {self.seen}; stderr: {err}")
                line = json.loads(raw)
                assert line["ts"].endswith("Z") and line["namespace"]
                self.seen.append(line)
                if predicate(line):
                    self.taken.add(len(self.seen) - 1)
                    return line

        return await asyncio.wait_for(read(), timeout)

    async def event(self, name: str, timeout: float = 20) -> dict:
        return (await self.until(lambda line: line.get("event") == name, timeout))["data"]

    async def finish(self, timeout: float = 20) -> tuple[int, str]:
        _, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        return self.proc.returncode, err.decode()

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()


async def send_alert(http, staff_token: str, user_id: int, title: str) -> dict:
    r = await http.post(
        "/api/v1/alerts",
        json={
            "user_id": user_id,
            "breach_id": "cli-client",
            "title": title,
            "severity": "LOW",
            "confidence": 0.5,
        },
        headers={"Authorization": f"Bearer {staff_token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_watch_prints_the_alert_sent_by_send_alert_until_ctrl_c(server, new_user):
    await new_user(staff=True)  # send-alert without Redis signs in as the first staff user
    user, _, _ = await new_user()
    watch = Lines(
        await start(server, "watch", "/alerts", "--email", user["email"], "--password", PASSWORD)
    )
    try:
        greeting = await watch.event("connection_established")
        assert greeting["user_id"] == user["id"]
        assert await watch.event("unread_count") == {"count": 0}
        code, _, err = await run(
            server,
            "send-alert",
            str(user["id"]),
            "--title",
            "Seen from a terminal",
            "--server-url",
            server.url,
        )
        assert code == 0, err
        alert = (await watch.event("breach_alert"))["message"]
        assert alert["title"] == "Seen from a terminal" and alert["user_id"] == user["id"]
        assert await watch.event("unread_count") == {"count": 1}
        watch.proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean goodbye
        code, err = await watch.finish()
        assert code == 0, err
        assert "Traceback" not in err
    finally:
        await watch.kill()


async def test_watch_emits_after_connecting_and_stops_on_until(server, new_user, http):
    _, staff_token, _ = await new_user(staff=True)
    user, token, _ = await new_user()
    first = await send_alert(http, staff_token, user["id"], "already there")
    watch = Lines(
        await start(
            server,
            "watch",
            "/alerts",
            "--token",
            token,
            "--emit",
            "list",
            '{"unread_only": true}',
            "--emit",
            "mark_read",
            json.dumps({"alert_id": first["id"]}),
            "--until",
            "breach_alert",
        )
    )
    try:
        listed = await watch.until(lambda line: line.get("ack") == "list")
        assert listed["response"]["ok"] is True
        assert [a["id"] for a in listed["response"]["data"]] == [first["id"]]
        marked = await watch.until(lambda line: line.get("ack") == "mark_read")
        assert marked["response"]["data"]["read"] is True
        assert (await watch.event("alert_update"))["alert_id"] == first["id"]
        await send_alert(http, staff_token, user["id"], "the last one")
        assert (await watch.event("breach_alert"))["message"]["title"] == "the last one"
        code, err = await watch.finish()
        assert code == 0, err
    finally:
        await watch.kill()


async def test_watch_stops_with_1_when_an_emit_fails(server, new_user):
    _, token, _ = await new_user()
    code, out, err = await run(
        server, "watch", "/alerts", "--token", token, "--emit", "mark_read", '{"alert_id": "x"}'
    )
    assert code == 1, (out, err)
    ack = next(json.loads(line) for line in out.splitlines() if '"ack"' in line)
    assert ack["response"]["error"]["code"] == "validation_error"
    assert "alert_id" in ack["response"]["error"]["fields"]
    assert "mark_read" in err and "Traceback" not in err


async def test_call_prints_the_ack_and_exits_0(server, new_user, http):
    _, staff_token, _ = await new_user(staff=True)
    user, _, _ = await new_user()
    alert = await send_alert(http, staff_token, user["id"], "listed")
    code, out, err = await run(
        server, "call", "/alerts", "list", "{}", "--email", user["email"], "--password", PASSWORD
    )
    assert code == 0, err
    ack = json.loads(out)
    assert ack["ok"] is True
    assert [a["id"] for a in ack["data"]] == [alert["id"]]


async def test_call_error_acks_exit_1_with_the_error(server, new_user, http):
    _, staff_token, _ = await new_user(staff=True)
    owner, _, _ = await new_user()
    _, token, _ = await new_user()
    code, out, err = await run(
        server, "call", "/alerts", "mark_read", '{"alert_id": "x"}', "--token", token
    )
    assert code == 1
    ack = json.loads(out)
    assert ack["ok"] is False and ack["error"]["code"] == "validation_error"
    assert "alert_id" in ack["error"]["fields"]
    assert err.startswith("roomcast call: mark_read: validation_error") and "Traceback" not in err
    # Someone else's alert is not_found.
    alert = await send_alert(http, staff_token, owner["id"], "not yours")
    code, out, _ = await run(
        server,
        "call",
        "/alerts",
        "mark_read",
        json.dumps({"alert_id": alert["id"]}),
        "--token",
        token,
    )
    assert code == 1 and json.loads(out)["error"]["code"] == "not_found"


async def test_refused_connect_or_login_exits_2_in_one_line(server):
    code, out, err = await run(server, "call", "/alerts", "list", "{}", "--token", "garbage")
    assert code == 2 and out == ""
    assert "4001 invalid_token" in err and "Traceback" not in err
    code, _, err = await run(
        server, "watch", "/alerts", "--email", "nobody@example.com", "--password", "nope-nope"
    )
    assert code == 2 and "unauthorized" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["call", "/alerts", "list", "{not json"], "not JSON"),
        (["call", "/alerts", "list"], "--email/--password or --token"),
        (["watch", "/nope"], "unknown namespace"),
        (["call", "/alerts", "list", "--token", "t", "--email", "a@b.c"], "not both"),
        (["watch", "/dns", "--emit", "subscribe", "{1}", "--token", "t"], "not JSON"),
    ],
)
def test_bad_usage_exits_2_before_connecting(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*argv, "--url", "http://127.0.0.1:9"])  # nothing listens there
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


async def test_call_on_chat_works_as_a_guest(server):
    code, out, err = await run(server, "call", "/chat", "ping", '{"timestamp": "t-1"}')
    assert code == 0, err
    assert json.loads(out)["data"]["timestamp"] == "t-1"
