"""`roomcast watch` and `roomcast call`: a terminal Socket.IO client for one namespace.

`watch` connects, optionally emits events (subscribe, join...) after every (re)connect, and
prints every event it receives as one JSON line until Ctrl-C. `call` connects, emits one
event with an ack, prints the ack and exits 0 when it is ok, 1 otherwise.

Signed in with --email/--password, each (re)connect presents a fresh one-time ws-token and
`token_expiring` is answered with a (refreshed) access token, so a watch can run for hours.
With --token the token is presented as is and the session ends when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import aiohttp
import jwt
import socketio

from server.history.client import StreamPositions

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
NAMESPACES = ("/analytics", "/dns", "/chat", "/checkins", "/alerts")
# A connect presenting this is refused by the server (invalid_token): we could not get a
# ws-token, and connecting with none would make a /chat socket a guest instead of failing.
NO_TOKEN = "ws-token-unavailable"


class ClientError(Exception):
    """A failure to report in one line (exit code 2): bad usage, unreachable, refused login."""


@dataclass
class Emit:
    event: str
    data: Any


def parse_emits(pairs: list[list[str]] | None) -> list[Emit]:
    emits = []
    for event, text in pairs or []:
        emits.append(Emit(event, parse_json(text, what=f"the payload of {event}")))
    return emits


def parse_json(text: str, *, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClientError(
            f"{what} is not JSON ({exc.msg} at column {exc.colno}): {text!r}"
        ) from None


def check_namespace(namespace: str) -> str:
    if not namespace.startswith("/"):
        namespace = "/" + namespace
    if namespace not in NAMESPACES and namespace != "/bench":
        raise ClientError(f"unknown namespace {namespace!r}; one of {', '.join(NAMESPACES)}")
    return namespace


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def token_expiry(token: str | None) -> float:
    """The `exp` of a JWT (unverified: the server verifies, we only plan refreshes)."""
    if not token:
        return 0.0
    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    except jwt.PyJWTError:
        return 0.0


# --- REST: signing in and tokens ---------------------------------------------------------------


@dataclass
class Session:
    """The REST side: who we are and the tokens we hold (in memory only)."""

    url: str
    http: aiohttp.ClientSession
    access_token: str | None = None
    refresh_token: str | None = None
    guest: bool = False
    last_error: str | None = None
    _refreshing: asyncio.Task | None = field(default=None, repr=False)

    async def request(
        self, method: str, path: str, body: Any = None, *, auth: bool = True, retry: bool = True
    ) -> Any:
        headers = {}
        if auth and self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        try:
            async with self.http.request(
                method, f"{self.url}/api/v1{path}", json=body, headers=headers
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ClientError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from None
        data = None
        with contextlib.suppress(ValueError):
            data = json.loads(text) if text else None
        if status < 400:
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        if auth and retry and error.get("code") == "token_expired" and self.refresh_token:
            # e.g. a reconnect after a long outage: renew the access token once and retry.
            await self.refresh()
            return await self.request(method, path, body, auth=auth, retry=False)
        message = f"{error.get('code', status)}: {error.get('message', text[:200])}"
        if error.get("fields"):
            message += f" {json.dumps(error['fields'])}"
        raise ClientError(f"{method} {path} failed: {message}")

    async def login(self, email: str, password: str) -> dict:
        answer = await self.request(
            "POST", "/auth/login", {"email": email, "password": password}, auth=False
        )
        self.access_token, self.refresh_token = answer["access_token"], answer["refresh_token"]
        return answer["user"]

    async def refresh(self) -> str:
        """A new access token (concurrent callers share one request)."""
        if self._refreshing is None or self._refreshing.done():

            async def swap() -> str:
                if not self.refresh_token:
                    raise ClientError("no refresh token held (signed in with --token)")
                answer = await self.request(
                    "POST", "/auth/refresh", {"refresh_token": self.refresh_token}, auth=False
                )
                self.access_token = answer["access_token"]
                self.refresh_token = answer["refresh_token"]
                return self.access_token

            self._refreshing = asyncio.ensure_future(swap())
        return await asyncio.shield(self._refreshing)

    async def socket_auth(self) -> dict | None:
        """The handshake auth of each (re)connect."""
        if self.guest:
            return None
        if not self.refresh_token:  # --token: present it as is
            return {"token": self.access_token}
        try:
            answer = await self.request("POST", "/auth/ws-token")
        except ClientError as exc:
            self.last_error = str(exc)
            return {"token": NO_TOKEN}
        return {"token": answer["ws_token"]}


@dataclass
class Credentials:
    email: str | None = None
    password: str | None = None
    token: str | None = None


async def open_session(url: str, creds: Credentials, namespace: str) -> Session:
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    session = Session(url=url.rstrip("/"), http=http)
    try:
        if creds.token:
            session.access_token = creds.token
        elif creds.email:
            if creds.password is None:
                raise ClientError("--email needs --password (or a terminal to ask on)")
            await session.login(creds.email, creds.password)
        elif namespace == "/chat":
            session.guest = True
        else:
            raise ClientError(f"{namespace} needs --email/--password or --token")
    except BaseException:
        await http.close()
        raise
    return session


# --- the socket ---------------------------------------------------------------------------------


class Printer:
    """One JSON line per thing that happens, flushed at once (pipes and `tail -f` friendly)."""

    def __init__(self, out: TextIO | None, namespace: str) -> None:
        self.out = out  # None: print nothing
        self.namespace = namespace

    def line(self, **fields: Any) -> None:
        if self.out is None:
            return
        record = {"ts": now_iso(), "namespace": self.namespace, **fields}
        self.out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.out.flush()


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
        self.positions = StreamPositions()  # replay of missed events after a reconnect
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
            if data is not None and self.positions.positions:
                data = {**data, "recover": self.positions.request()}
            return data

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
        if event == "recovery" and isinstance(payload, dict):
            self.recovered(payload.get("streams"))
        elif not self.positions.observe(payload):
            return  # seen already: replayed and also live around the reconnect
        for listener in self.listeners:
            listener(event, payload)
        if event == "connection_established":
            self.greeted.set()
            for hook in self.on_greeting:
                self.spawn(hook())
        elif event == "token_expiring":
            self._token_expiring(payload)

    def recovered(self, streams: Any) -> None:
        """One line per stream outcome: `recovered` {count} or `gap` (reload over REST)."""
        for outcome in self.positions.apply(streams if isinstance(streams, dict) else {}):
            if outcome.get("status") in ("recovered", "gap", "unavailable"):
                name = "recovered" if outcome["status"] == "recovered" else "gap"
                self.printer.line(event=name, data=outcome)

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


def local_error(code: str, message: str) -> dict:
    """An error ack made on this side (no answer from the server), shaped like the server's."""
    return {"ok": False, "error": {"code": code, "message": message, "fields": {}}}


def describe_error(ack: dict) -> str:
    error = ack.get("error") or {}
    text = f"{error.get('code', 'error')}: {error.get('message', '')}"
    if error.get("fields"):
        text += f" {json.dumps(error['fields'], ensure_ascii=False, default=str)}"
    return text


# --- the two commands ---------------------------------------------------------------------------


@dataclass
class WatchOptions:
    url: str
    namespace: str
    creds: Credentials
    emits: list[Emit]
    until: str | None = None
    timeout: float | None = None
    ack_timeout: float = 10.0


async def watch(opts: WatchOptions, out: TextIO = sys.stdout) -> int:
    """Print every event of a namespace as JSON lines until Ctrl-C (or --until / --timeout)."""
    printer = Printer(out, opts.namespace)
    session = await open_session(opts.url, opts.creds, opts.namespace)
    conn = Connection(session, opts.namespace, printer, reconnect=True)

    def print_event(event: str, payload: Any) -> None:
        printer.line(event=event, data=payload)
        if opts.until and event == opts.until:
            conn.end(EXIT_OK, f"received {event}")

    async def emit_all() -> None:
        # Rooms are per connection: the subscriptions are made again after every reconnect.
        for emit in opts.emits:
            ack = await conn.call(emit.event, emit.data, opts.ack_timeout)
            printer.line(ack=emit.event, response=ack)
            if not ack.get("ok"):
                conn.end(EXIT_FAILED, f"{emit.event}: {describe_error(ack)}")
                return
        # Joined chat rooms: replay what they missed since the last message seen (or learn
        # where they start, the first time).
        rooms = [
            e.data["room"] for e in opts.emits if e.event == "join" and isinstance(e.data, dict)
        ]
        wanted = {f"room:{r}": conn.positions.positions.get(f"room:{r}", {}) for r in rooms}
        if wanted:
            ack = await conn.call("recover", wanted, opts.ack_timeout)
            if ack.get("ok"):
                conn.recovered(ack["data"]["streams"])

    conn.listeners.append(print_event)
    conn.on_greeting.append(emit_all)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, conn.end, EXIT_OK, "interrupted")
    try:
        await conn.connect()
        try:
            await asyncio.wait_for(conn.ended.wait(), opts.timeout)
        except TimeoutError:
            conn.end(EXIT_FAILED, f"--timeout of {opts.timeout:g} s reached")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await conn.close()
        await session.http.close()
    if conn.exit_code != EXIT_OK:
        print(f"roomcast watch: {conn.end_reason}", file=sys.stderr)
    return conn.exit_code


@dataclass
class CallOptions:
    url: str
    namespace: str
    creds: Credentials
    event: str
    data: Any
    emits: list[Emit] = field(default_factory=list)
    ack_timeout: float = 10.0


async def call(opts: CallOptions, out: TextIO = sys.stdout) -> int:
    """Emit one event with an ack and print the ack; 0 when ok, 1 otherwise."""
    session = await open_session(opts.url, opts.creds, opts.namespace)
    # Only the ack is this command's output; a refusal is reported as the error line.
    conn = Connection(session, opts.namespace, Printer(None, opts.namespace), reconnect=False)
    try:
        await conn.connect()
        # The greeting marks the server's side of the connect as complete (rooms joined).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(conn.greeted.wait(), opts.ack_timeout)
        for emit in opts.emits:
            ack = await conn.call(emit.event, emit.data, opts.ack_timeout)
            if not ack.get("ok"):
                out.write(json.dumps(ack, ensure_ascii=False) + "\n")
                print(f"roomcast call: {emit.event}: {describe_error(ack)}", file=sys.stderr)
                return EXIT_FAILED
        ack = await conn.call(opts.event, opts.data, opts.ack_timeout)
        out.write(json.dumps(ack, ensure_ascii=False) + "\n")
        out.flush()
        if ack.get("ok"):
            return EXIT_OK
        print(f"roomcast call: {opts.event}: {describe_error(ack)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await conn.close()
        await session.http.close()
