"""The two commands: `watch` (print every event until Ctrl-C, --until or --timeout) and
`call` (one event with an ack; exit 0 when it is ok)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from server.client_cli.connection import Connection
from server.client_cli.options import EXIT_FAILED, EXIT_OK, Emit
from server.client_cli.output import Printer, describe_error
from server.client_cli.session import Credentials, open_session


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
        if rooms:
            ack = await conn.call("recover", conn.recovery.after_join(rooms), opts.ack_timeout)
            if ack.get("ok"):
                conn.recovery.report(ack["data"]["streams"])

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
