"""Connection: a python-socketio AsyncClient on one namespace, with the token life cycle
(fresh ws-token per connect, `token_expiring` answered with a refreshed access token) and the
stream positions (server.client_cli.recovery) handled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any

import socketio

from server.client_cli.options import EXIT_FAILED, EXIT_OK, ClientError
from server.client_cli.output import Printer, local_error
from server.client_cli.recovery import Recovery
from server.client_cli.session import NO_TOKEN, Session, token_expiry


class Connection:
    """A python-socketio AsyncClient on one namespace, with the token life cycle handled."""

    def __init__(
        self, session: Session, namespace: str, printer: Printer, *, reconnect: bool
    ) -> None:
        self.session = session
        self.namespace = namespace
        self.printer = printer
        # handle_sigint=False: Ctrl-C is ours (a clean goodbye), not a cancel-everything.
        self.sio = socketio.AsyncClient(
            reconnection=reconnect, reconnection_delay=0.5, handle_sigint=False
        )
        self.held_token: str | None = session.access_token if not session.refresh_token else None
        self.ended = asyncio.Event()
        self.exit_code = EXIT_OK
        self.end_reason = ""
        self.greeted = asyncio.Event()
        self.on_greeting: list = []
        self._tasks: set[asyncio.Task] = set()
        self._refresh_timer: asyncio.TimerHandle | None = None
        self.listeners: list = []  # fn(event, payload) for every server event
        self.recovery = Recovery(printer)  # replay of missed events after a reconnect
        self.sio.on("connect", self._connected, namespace=namespace)
        self.sio.on("connect_error", self._connect_error, namespace=namespace)
        self.sio.on("disconnect", self._disconnect, namespace=namespace)
        self.sio.on("*", self._event, namespace=namespace)

    def spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def end(self, code: int, reason: str) -> None:
        if not self.ended.is_set():
            self.exit_code, self.end_reason = code, reason
            self.ended.set()

    async def connect(self) -> None:
        async def auth() -> dict | None:
            data = await self.session.socket_auth()
            if data and data.get("token") != NO_TOKEN and self.session.refresh_token:
                self.held_token = None  # a ws-token: the server warns within its short life
            return self.recovery.auth(data)

        try:
            await self.sio.connect(
                self.session.url,
                namespaces=[self.namespace],
                transports=["websocket"],
                auth=auth,
                wait_timeout=10,
            )
        except socketio.exceptions.ConnectionError as exc:
            raise ClientError(self.refusal_text(exc)) from None

    def refusal_text(self, exc: Exception | None = None) -> str:
        if self.session.last_error:
            return self.session.last_error
        return self.end_reason or f"cannot connect to {self.session.url}{self.namespace}: {exc}"

    # Handlers -----------------------------------------------------------------------------

    async def _event(self, event: str, *args: Any) -> None:
        payload = args[0] if len(args) == 1 else list(args)
        if not self.recovery.fresh(event, payload):
            return  # seen already: replayed and also live around the reconnect
        for listener in self.listeners:
            listener(event, payload)
        if event == "connection_established":
            self.greeted.set()
            for hook in self.on_greeting:
                self.spawn(hook())
        elif event == "token_expiring":
            self._token_expiring(payload)

    async def _connected(self) -> None:
        self.printer.line(event="connect", data={"url": self.session.url})

    async def _connect_error(self, data: Any = None) -> None:
        # python-socketio wraps the server's data: {"message": ..., "data": {code, reason, ...}}.
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            data = data["data"]
        self.printer.line(event="connect_error", data=data)
        if isinstance(data, dict) and "code" in data:
            # A refusal ({code, reason, message}) is final: retrying cannot help.
            reason = f"connection refused: {data.get('code')} {data.get('reason')}: "
            self.end(EXIT_FAILED, reason + str(data.get("message", "")))

    async def _disconnect(self, reason: Any = None) -> None:
        self.printer.line(event="disconnect", data={"reason": str(reason)})
        if reason == self.sio.reason.SERVER_DISCONNECT:
            self.end(EXIT_FAILED, "disconnected by the server (logout, token expiry or revocation)")

    def _token_expiring(self, data: Any = None) -> None:
        expires_at = data.get("expires_at") if isinstance(data, dict) else None
        try:
            deadline = datetime.fromisoformat(str(expires_at).replace("Z", "+00:00")).timestamp()
        except ValueError:
            deadline = time.time()
        if not self.session.refresh_token:
            self.printer.line(
                event="notice", data={"message": "token expiring; --token cannot be refreshed"}
            )
            return
        if self._refresh_timer is not None:
            self._refresh_timer.cancel()
        current = self.session.access_token
        if current != self.held_token and token_expiry(current) > deadline:
            self.spawn(self._send_token())
            return
        # The socket holds our newest token already: renew shortly before it runs out.
        left = max(0.0, deadline - time.time())
        delay = left - 10 if left > 20 else left / 2
        loop = asyncio.get_running_loop()
        self._refresh_timer = loop.call_later(delay, lambda: self.spawn(self._refresh_and_send()))

    async def _refresh_and_send(self) -> None:
        try:
            if self.session.access_token == self.held_token:
                await self.session.refresh()
        except ClientError as exc:
            self.printer.line(event="notice", data={"message": f"token refresh failed: {exc}"})
            return
        await self._send_token()

    async def _send_token(self) -> None:
        token = self.session.access_token
        try:
            ack = await self.sio.call(
                "refresh_token", {"token": token}, namespace=self.namespace, timeout=10
            )
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            return
        if isinstance(ack, dict) and ack.get("ok"):
            self.held_token = token
        else:
            self.printer.line(event="notice", data={"message": "refresh_token refused", "ack": ack})

    # Emitting -----------------------------------------------------------------------------

    async def call(self, event: str, data: Any, timeout: float) -> dict:
        try:
            ack = await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            return local_error("timeout", f"no ack within {timeout:g} s")
        except socketio.exceptions.BadNamespaceError:
            return local_error("disconnected", "the socket is not connected")
        if not isinstance(ack, dict) or "ok" not in ack:
            return local_error("bad_ack", f"not an {{ok, data}} ack: {ack!r}"[:300])
        return ack

    async def close(self) -> None:
        if self._refresh_timer is not None:
            self._refresh_timer.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.sio.disconnect(), 3)
        for task in list(self._tasks):
            task.cancel()
