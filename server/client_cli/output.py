"""One JSON line per thing that happens, and the one-line texts of error acks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Printer:
    """Flushed at once, line by line (pipes and `tail -f` friendly)."""

    def __init__(self, out: TextIO | None, namespace: str) -> None:
        self.out = out  # None: print nothing
        self.namespace = namespace

    def line(self, **fields: Any) -> None:
        if self.out is None:
            return
        record = {"ts": now_iso(), "namespace": self.namespace, **fields}
        self.out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.out.flush()


def local_error(code: str, message: str) -> dict:
    """An error ack made on this side (no answer from the server), shaped like the server's."""
    return {"ok": False, "error": {"code": code, "message": message, "fields": {}}}


def describe_error(ack: dict) -> str:
    error = ack.get("error") or {}
    text = f"{error.get('code', 'error')}: {error.get('message', '')}"
    if error.get("fields"):
        text += f" {json.dumps(error['fields'], ensure_ascii=False, default=str)}"
    return text
