"""A protocol-level client: raw HTTP long-polling (httpx) and raw WebSocket frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re

import httpx
import websockets

TIMEOUT = 5
SID = re.compile(r'"sid":"[^"]+"')


def normal(frame):
    """A frame with its session ids replaced, so two servers' bytes compare."""
    if isinstance(frame, str):
        return SID.sub('"sid":"<sid>"', frame)
    return frame


def handshake(text: str) -> dict:
    assert text.startswith("0"), text
    return json.loads(text[1:])


class Polling:
    """One Engine.IO session over HTTP long-polling."""

    def __init__(self, http: httpx.AsyncClient, eio_url: str) -> None:
        self.http, self.base = http, f"{eio_url}&transport=polling"
        self.sid = ""

    @property
    def url(self) -> str:
        return f"{self.base}&sid={self.sid}"

    async def open(self) -> dict:
        r = await self.http.get(self.base)
        assert r.status_code == 200, r.text
        opened = handshake(r.text)
        self.sid = opened["sid"]
        return opened

    async def get(self) -> httpx.Response:
        return await self.http.get(self.url)

    async def post(self, body: str | bytes) -> httpx.Response:
        return await self.http.post(self.url, content=body)

    async def take(self, n: int) -> list[str]:
        """The next n packets over as many GETs as it takes (PINGs answered and skipped)."""
        packets: list[str] = []
        while len(packets) < n:
            r = await self.get()
            assert r.status_code == 200, r.text
            for p in r.text.split("\x1e"):
                if p == "2":
                    await self.post("3")
                else:
                    packets.append(p)
        return packets


async def ws_open(url: str):
    return await websockets.connect(url, open_timeout=TIMEOUT, max_size=None)


async def recv(ws, timeout: float = TIMEOUT, skip_pings: bool = True):
    """The next frame (PINGs answered and skipped unless asked for)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        if skip_pings and frame == "2":
            await ws.send("3")
            continue
        return frame


async def recv_n(ws, n: int, timeout: float = TIMEOUT) -> list:
    return [await recv(ws, timeout) for _ in range(n)]


async def closed(ws, within: float) -> bool:
    """True when the server closes the websocket within `within` seconds (frames ignored)."""
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed:
        return True
    except TimeoutError:
        return False


async def refused_status(url: str) -> int | None:
    """The HTTP status of a refused websocket handshake; None when it was accepted."""
    try:
        ws = await websockets.connect(url, open_timeout=TIMEOUT)
    except websockets.InvalidStatus as exc:
        return exc.response.status_code
    with contextlib.suppress(Exception):
        await ws.close()
    return None
