"""ReplayMixin: positions and replay of missed events for an AuthedNamespace (docs/recovery.md).

On connect, `auth.recover` names the streams to recover. The socket's own rooms among them
(`user:<id>`, `staff`) are joined only once their missed events are queued, in the same
step as the join, so the replay comes before any live event of those streams; a second
read right after the join catches what was stored during the first (at most a duplicate,
which the client drops by offset). The `recovery` event then tells the outcome per stream.
"""

from __future__ import annotations

import logging
from typing import Any

from engineio import packet as eio_packet

from server.errors import RoomcastError
from server.history.recovery import merge, outcome, parse_request
from server.history.store import Entry
from server.history.streams import STREAM_KEY, is_stream
from server.identity import Identity
from server.rooms import STAFF, user_room

log = logging.getLogger("roomcast.recovery")


def own_streams(identity: Identity) -> list[str]:
    """The streams every socket of this identity reads (joined at connect)."""
    if identity.user_id is None:
        return []
    return [user_room(identity.user_id)] + ([STAFF] if identity.is_staff else [])


class ReplayMixin:
    # --- hooks for namespaces -------------------------------------------------------------

    async def may_recover_on_connect(self, sid: str, identity: Identity, stream: str) -> bool:
        """A stream beyond the socket's own that a connect may recover (and then join)."""
        return False

    # --- connect ----------------------------------------------------------------------------

    def recovery_request(self, auth_data: Any) -> tuple[dict, dict | None]:
        """(wanted streams, validation error) from the handshake's `auth.recover`."""
        raw = auth_data.get("recover") if isinstance(auth_data, dict) else None
        try:
            return parse_request(raw), None
        except RoomcastError as exc:
            return {}, {"code": exc.code, "message": exc.message, "fields": exc.fields}

    async def recover_on_connect(
        self, sid: str, identity: Identity, wanted: dict, error: dict | None
    ) -> None:
        """Replay, join the deferred rooms, then emit `recovery` (after connection_established)."""
        own = own_streams(identity)
        results: dict[str, dict] = {}
        asked: dict[str, tuple[int, str | None]] = {}
        for stream, position in wanted.items():
            if stream in own or await self.may_recover_on_connect(sid, identity, stream):
                asked[stream] = position
            else:
                results[stream] = {"status": "denied"}
        deferred = list(asked)
        try:
            results.update(await self._replay(sid, asked, join=deferred))
            current = [s for s in own if s not in asked]
            if current and self.rt.history is not None:
                heads = await self.rt.history.read(self.namespace, {s: -1 for s in current})
                for stream, head in heads.items():
                    results[stream] = {"status": "current", "o": head.latest, "e": head.epoch}
        except Exception as exc:
            log.warning("recovery on %s for %s failed: %s", self.namespace, sid, exc)
            for stream in asked:
                results.setdefault(stream, {"status": "unavailable"})
        finally:
            await self._join(sid, deferred)
        answer: dict[str, Any] = {"streams": results}
        if error is not None:
            answer["error"] = error
        await self.emit("recovery", answer, to=sid)

    # --- the `recover` event ----------------------------------------------------------------

    async def on_recover(self, sid: str, data: Any) -> dict:
        """`recover {stream: {o, e}}`: replay what the socket's streams missed, then ack."""
        wanted = parse_request(data)
        results = {
            s: {"status": "denied"} for s in wanted if not is_stream(s) or not self._in_room(sid, s)
        }
        asked = {s: p for s, p in wanted.items() if s not in results}
        results.update(await self._replay(sid, asked, join=[]))
        return {"streams": results}

    # --- the work ---------------------------------------------------------------------------

    async def _replay(self, sid: str, asked: dict, *, join: list[str]) -> dict[str, dict]:
        history = self.rt.history
        if not asked:
            return {}
        if history is None:
            return {s: {"status": "unavailable"} for s in asked}
        found = await history.read(self.namespace, {s: o for s, (o, _) in asked.items()})
        results: dict[str, dict] = {}
        per_stream: list[list[Entry]] = []
        for stream, (offset, epoch) in asked.items():
            result, entries = outcome(found[stream], offset, epoch)
            results[stream] = result
            per_stream.append(entries)
        # No await between the last queued replay packet and the joins (send() only queues).
        await self._send(sid, merge(per_stream))
        await self._join(sid, join)
        if join:
            # What was stored while the first read was on its way, before the join.
            latest = {s: r["o"] for s, r in results.items() if "o" in r}
            again = await history.read(self.namespace, latest)
            late = [s.entries for name, s in again.items() if s.epoch == results[name].get("e")]
            for name, s in again.items():
                if s.entries and s.epoch == results[name].get("e"):
                    results[name]["o"] = s.entries[-1].offset
                    if results[name]["status"] == "recovered":
                        results[name]["count"] += len(s.entries)
            await self._send(sid, merge(late))
        return results

    async def _send(self, sid: str, entries: list[Entry]) -> None:
        if not entries:
            return
        sock = None
        head = f"2{self.namespace}," if self.namespace != "/" else "2"
        for entry in entries:
            if entry.body is None:
                await self.emit(entry.event, {**entry.data, STREAM_KEY: entry.positions}, to=sid)
                continue
            # Kept encoded (Redis): the stored EVENT text goes out as is, not decoded and
            # encoded again (the same packet an emit would make, onto the same queue).
            if sock is None:
                eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
                sock = self.server.eio.sockets.get(eio_sid)
            if sock is None or sock.closed:
                return  # gone meanwhile
            await sock.send(eio_packet.Packet(eio_packet.MESSAGE, head + entry.body))

    def _in_room(self, sid: str, room: str) -> bool:
        # O(1): `self.rooms(sid)` scans every room of the namespace (python-socketio's
        # get_rooms), which made a storm of N reconnects cost O(N^2).
        return sid in self.server.manager.rooms.get(self.namespace, {}).get(room, ())

    async def _join(self, sid: str, rooms: list[str]) -> None:
        if not self.server.manager.is_connected(sid, self.namespace):
            return
        for room in rooms:
            if not self._in_room(sid, room):
                await self.enter_room(sid, room)
