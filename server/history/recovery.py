"""Recovery: which missed events a socket gets back, and the per-stream outcome it is told.

A request names streams and the last position the client saw of each:
`{"user:2": {"o": 17, "e": "9f1c2a4b77aa"}, "staff": {"o": 900, "e": "..."}}`.
Outcomes (the `recovery` event / the `recover` ack, docs/recovery.md):
- `recovered` `{count, o, e}`: every event after `o` is (being) replayed, `o` is the latest;
- `gap` `{o, e, oldest}`: the history no longer reaches back (trimmed, aged out, or another
  epoch): nothing is replayed, the client reloads over REST and continues from `o`;
- `current` `{o, e}`: a stream the socket reads that it did not ask about, or asked about
  without an `o` (`{"room:lobby": {}}`): where it stands now, to start from;
- `denied`: not a stream this socket may read; nothing about it is revealed.
"""

from __future__ import annotations

import heapq
from typing import Any

from server.errors import Invalid
from server.history.store import Entry, Slice

MAX_STREAMS = 32
MAX_OFFSET = 2**53 - 1


def parse_request(raw: Any) -> dict[str, tuple[int, str | None]]:
    """`{stream: {o, e}}` -> `{stream: (offset, epoch)}`; anything else is a validation_error."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("recover must be an object", fields={"recover": "expected an object"})
    if len(raw) > MAX_STREAMS:
        raise Invalid(f"at most {MAX_STREAMS} streams", fields={"recover": "too many streams"})
    wanted: dict[str, tuple[int, str | None]] = {}
    for stream, position in raw.items():
        if not isinstance(stream, str) or not 0 < len(stream) <= 128:
            raise Invalid("a stream name is a short string", fields={"recover": "bad stream name"})
        if not isinstance(position, dict):
            raise Invalid("a position is {o, e}", fields={stream: "expected {o, e}"})
        offset, epoch = position.get("o", -1), position.get("e")
        if offset == -1:
            wanted[stream] = (-1, None)  # no position yet: only tell where the stream is
            continue
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
            raise Invalid("o is the last offset seen", fields={stream: "o: integer >= 0"})
        if epoch is not None and (not isinstance(epoch, str) or len(epoch) > 64):
            raise Invalid("e is the stream's epoch", fields={stream: "e: string"})
        wanted[stream] = (offset, epoch)
    return wanted


def outcome(found: Slice, offset: int, epoch: str | None) -> tuple[dict, list[Entry]]:
    """The outcome of one stream and the entries to replay (none on a gap)."""
    head = {"o": found.latest, "e": found.epoch}
    if offset < 0:
        return {"status": "current", **head}, []
    entries = found.entries
    oldest = found.oldest if found.oldest is not None else found.latest + 1
    if epoch != found.epoch or offset > found.latest:
        return {"status": "gap", **head, "oldest": oldest}, []
    if offset == found.latest:
        return {"status": "recovered", "count": 0, **head}, []
    if not entries or entries[0].offset != offset + 1:
        return {"status": "gap", **head, "oldest": oldest}, []
    return {"status": "recovered", "count": len(entries), **head}, entries


def merge(per_stream: list[list[Entry]]) -> list[Entry]:
    """One replay list: each stream's order kept, interleaved by store time, and an event
    stored in several of the socket's streams (e.g. `user:2` and `staff`) sent once."""
    filled = [entries for entries in per_stream if entries]
    if len(filled) <= 1:
        return filled[0] if filled else []  # one stream: in order, no duplicates possible
    seen: set[tuple] = set()
    out: list[Entry] = []
    for entry in heapq.merge(*per_stream, key=lambda e: e.ts):
        key = entry.identity
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out
