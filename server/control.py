"""Cluster-wide control messages: "disconnect every socket in this room, on every node".

python-socketio can emit to a room on every node but can only disconnect sockets by sid, and
a node only knows its own sids. So logout, revocation and deactivation publish a kick on a
Redis channel of their own; every node (the publisher included) disconnects its local members
of the room. Without Redis there is one process and the kick runs in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("roomcast.control")


class ControlBus:
    def __init__(self, sio: socketio.AsyncServer, *, redis: Redis | None, prefix: str) -> None:
        self.sio = sio
        self.redis = redis
        self.channel = f"{prefix}:control"
        self._task: asyncio.Task | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        if self.redis is not None:
            self._task = asyncio.create_task(self._listen(), name="roomcast-control")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), 5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def kick(self, room: str, reason: str) -> None:
        """Disconnect every socket in `room`, in every namespace, on every node."""
        if self.redis is None:
            await self._kick_local(room, reason)
            return
        message = json.dumps({"op": "kick", "room": room, "reason": reason})
        try:
            await self.redis.publish(self.channel, message)
        except (RedisError, OSError) as exc:
            # Other nodes cannot be told; at least this node's sockets go.
            log.error("control message not published, Redis unavailable: %s", exc)
            await self._kick_local(room, reason)

    async def _kick_local(self, room: str, reason: str) -> None:
        for namespace in list(self.sio.namespace_handlers):
            members = [sid for sid, _ in self.sio.manager.get_participants(namespace, room)]
            for sid in members:
                log.info("disconnecting %s on %s: %s", sid, namespace, reason)
                await self.sio.disconnect(sid, namespace=namespace, ignore_queue=True)

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                delay = 0.5
                async for message in pubsub.listen():
                    await self._handle(message.get("data"))
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                log.warning("control channel lost (%s), retrying in %.1f s", exc, delay)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _handle(self, data: object) -> None:
        try:
            message = json.loads(data)
            if message.get("op") == "kick":
                await self._kick_local(str(message["room"]), str(message.get("reason", "")))
        except Exception:
            log.exception("bad control message %r", data)
