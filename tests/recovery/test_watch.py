"""`roomcast watch` recovers across reconnects, seen from outside: the CLI runs as a
subprocess behind a proxy whose connections the test cuts while alerts are sent; after the
network comes back the watch prints the missed alerts (in order, once) and a `recovered`
line, or a `gap` line when the history no longer reaches back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile

import httpx

from tests.recovery.support import CuttableProxy, make_staff, own_node, post_alert

PASSWORD = "long enough pw"  # what support.register uses


class Watch:
    """The JSON lines of a running `roomcast watch`, each wait bounded."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict] = []

    async def until(self, predicate, timeout: float = 40) -> dict:
        for line in self.lines:
            if predicate(line):
                return line

        async def read() -> dict:
            while True:
                raw = await self.proc.stdout.readline()
                if not raw:
                    err = (await self.proc.stderr.read()).decode()
                    raise AssertionError(f"watch ended; lines {self.lines}; stderr {err}")
                self.lines.append(json.loads(raw))
                if predicate(self.lines[-1]):
                    return self.lines[-1]

        return await asyncio.wait_for(read(), timeout)

    def count(self, event: str) -> int:
        return sum(1 for line in self.lines if line.get("event") == event)

    def alert_ids(self) -> list[int]:
        return [
            line["data"]["message"]["id"]
            for line in self.lines
            if line.get("event") == "breach_alert"
        ]

    async def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()


async def watch(url: str, email: str) -> Watch:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "server.cli", "watch", "/alerts", "--url", url),
        *("--email", email, "--password", PASSWORD),
        env={k: v for k, v in os.environ.items() if not k.startswith("ROOMCAST_")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return Watch(proc)


async def test_watch_prints_what_it_missed_while_cut_off_then_a_gap_when_too_much():
    tmp = tempfile.mkdtemp(prefix="roomcast-watch-")
    node = await own_node(tmp, ROOMCAST_HISTORY_SIZE="10")  # memory history, 10 per stream
    proxy = await CuttableProxy(node.port).start()
    try:
        async with httpx.AsyncClient(base_url=node.url, timeout=30) as http:
            staff = await make_staff(tmp, http)
            body = {"email": "watcher@example.com", "password": PASSWORD}
            user = (await http.post("/api/v1/auth/register", json=body)).json()["user"]
            http.cookies.clear()
            w = await watch(proxy.url, body["email"])
            try:
                await w.until(lambda line: line.get("event") == "recovery")
                first = await post_alert(http, staff, user["id"], 0)
                await w.until(lambda line: w.alert_ids() == [first["id"]])

                proxy.cut()
                await w.until(lambda line: line.get("event") == "disconnect")
                missed = [(await post_alert(http, staff, user["id"], n))["id"] for n in (1, 2)]
                proxy.heal()
                line = await w.until(lambda line: line.get("event") == "recovered")
                assert line["data"]["stream"] == f"user:{user['id']}"
                assert line["data"]["count"] == 4  # 2 breach_alert + 2 unread_count
                assert w.alert_ids() == [first["id"], *missed]  # in order, once
                live = await post_alert(http, staff, user["id"], 3)
                await w.until(lambda line: w.alert_ids()[-1:] == [live["id"]])
                assert w.alert_ids() == [first["id"], *missed, live["id"]]

                proxy.cut()
                await w.until(lambda line: w.count("disconnect") == 2)
                for n in range(10, 16):  # 12 events: more than the 10 kept
                    await post_alert(http, staff, user["id"], n)
                proxy.heal()
                gap = await w.until(lambda line: line.get("event") == "gap")
                assert gap["data"]["status"] == "gap" and gap["data"]["oldest"] > 10
                assert w.alert_ids() == [first["id"], *missed, live["id"]]  # nothing half-way
                assert w.count("recovered") == 1
            finally:
                await w.stop()
    finally:
        await proxy.close()
        node.stop()
