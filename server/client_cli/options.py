"""The command line's values: namespaces, `--emit` pairs, JSON payloads, exit codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
NAMESPACES = ("/analytics", "/dns", "/chat", "/checkins", "/alerts")


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
