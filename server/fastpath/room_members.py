"""The member maps of python-socketio's rooms, cheaper than one bidict per room.

python-socketio keeps `manager.rooms[namespace][room]` as a bidict (sid -> eio_sid plus the
inverse map): ~490 bytes per room, and every socket has a room of its own (its sid) besides
the ones it joins. The inverse is read only for the `None` room (all the namespace's
sockets: `sid_from_eio_sid`, and pre_connect's duplicate check), which stays a bidict. The
other rooms are read as mappings (`in`, `len`, iteration, `get`, `[]`, item deletion) and
through `._fwdm` (python-socketio's get_participants, managers._queue_for), so:
* `Members`: a dict (sid -> eio_sid) whose `_fwdm` is itself (~200 bytes);
* `SidRoom`: a socket's own room, exactly one member (~50 bytes).
"""

from __future__ import annotations

from collections.abc import MutableMapping


class Members(dict):
    __slots__ = ()

    @property
    def _fwdm(self) -> dict:
        return self


class SidRoom(MutableMapping):
    """{sid: eio_sid} for the socket's own room; empty once the socket leaves it."""

    __slots__ = ("eio_sid", "sid")

    def __init__(self, sid: str, eio_sid: str) -> None:
        self.sid, self.eio_sid = sid, eio_sid

    @property
    def _fwdm(self) -> dict:
        return {} if self.sid is None else {self.sid: self.eio_sid}

    def __getitem__(self, sid):
        if sid is None or sid != self.sid:
            raise KeyError(sid)
        return self.eio_sid

    def __setitem__(self, sid, eio_sid) -> None:
        if self.sid is not None and sid != self.sid:
            raise ValueError("a sid room has one member: its own socket")
        self.sid, self.eio_sid = sid, eio_sid

    def __delitem__(self, sid) -> None:
        if sid is None or sid != self.sid:
            raise KeyError(sid)
        self.sid = self.eio_sid = None

    def __contains__(self, sid) -> bool:
        return sid is not None and sid == self.sid

    def __iter__(self):
        if self.sid is not None:
            yield self.sid

    def __len__(self) -> int:
        return 0 if self.sid is None else 1

    def __repr__(self) -> str:
        return f"SidRoom({self._fwdm!r})"
