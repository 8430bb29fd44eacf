"""Cluster-wide control messages: "disconnect every socket in this room, on every node".

python-socketio can emit to a room on every node but can only disconnect sockets by sid, and
a node only knows its own sids. So logout, revocation and deactivation publish a kick on a
Redis channel of their own; every node (the publisher included) disconnects its local members
of the room. Without Redis there is one process and the kick runs in place.

A kick published while Redis (or a node's subscription) is down is lost, so every time the
listener (re)subscribes the node revalidates its sockets against the database
(server.revalidate): sockets of a revoked login or a deactivated user go within one query of
Redis answering again. The listener retries every RESUBSCRIBE_DELAY while Redis is down. A
kick this node could not publish is also published again once Redis answers, for the nodes
whose subscription survived (a blip only this node saw).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.revalidate import revalidate_sockets

log = logging.getLogger("roomcast.control")
RESUBSCRIBE_DELAY = 0.25
MAX_PENDING = 1000


class ControlBus:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        *,
        redis: Redis | None,
        prefix: str,
        redis_url: str | None = None,
    ) -> None:
        self.sio = sio
        self.redis = redis
        # The listener's own connection: no read timeout (an idle subscription is normal), and
        # it is not taken from the runtime pool.
        self._listen_redis = Redis.from_url(redis_url) if redis_url else redis
        self.channel = f"{prefix}:control"
        self._task: asyncio.Task | None = None
        self._retry: asyncio.Task | None = None
        self._pending: list[str] = []
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        if self.redis is not None:
            self._task = asyncio.create_task(self._listen(), name="roomcast-control")
            # Bounded: a node must start with Redis down; kicks missed until the listener
            # subscribes are caught by the revalidation it runs then.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), 2)

    async def stop(self) -> None:
        for task in (self._task, self._retry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._listen_redis is not None and self._listen_redis is not self.redis:
            with contextlib.suppress(RedisError, OSError):
                await self._listen_redis.aclose()

    async def kick(self, room: str, reason: str) -> None:
        """Disconnect every socket in `room`, in every namespace, on every node."""
        if self.redis is None:
            await self._kick_local(room, reason)
            return
        message = json.dumps({"op": "kick", "room": room, "reason": reason})
        try:
            await self.redis.publish(self.channel, message)
        except (RedisError, OSError) as exc:
            # Other nodes cannot be told now: this node's sockets go at once, and the kick is
            # published again once Redis answers (for nodes whose subscription survived; the
            # others revalidate when they resubscribe).
            log.error("control message not published, Redis unavailable (will retry): %s", exc)
            await self._kick_local(room, reason)
            self._pending = [*self._pending[-(MAX_PENDING - 1) :], message]
            if self._retry is None or self._retry.done():
                self._retry = asyncio.create_task(self._publish_pending(), name="roomcast-kicks")

    async def _publish_pending(self) -> None:
        while self._pending:
            await asyncio.sleep(RESUBSCRIBE_DELAY)
            try:
                for message in list(self._pending):
                    await self.redis.publish(self.channel, message)
                    self._pending.remove(message)
            except (RedisError, OSError):
                continue
            log.info("pending control messages published")

    async def _kick_local(self, room: str, reason: str) -> None:
        for namespace in list(self.sio.namespace_handlers):
            members = [sid for sid, _ in self.sio.manager.get_participants(namespace, room)]
            for sid in members:
                log.info("disconnecting %s on %s: %s", sid, namespace, reason)
                await self.sio.disconnect(sid, namespace=namespace, ignore_queue=True)

    async def _listen(self) -> None:
        lost_at: float | None = None
        while True:
            pubsub = self._listen_redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                if lost_at is not None:
                    log.info("control channel back after %.1f s", time.monotonic() - lost_at)
                lost_at = None
                await self._revalidate()
                async for message in pubsub.listen():
                    await self._handle(message.get("data"))
            except asyncio.CancelledError:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.warning(
                        "control channel lost (%s), retrying every %.2f s", exc, RESUBSCRIBE_DELAY
                    )
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                await asyncio.sleep(RESUBSCRIBE_DELAY)

    async def _revalidate(self) -> None:
        try:
            closed = await revalidate_sockets(self.sio)
        except Exception as exc:
            # The database may be down as well; the next resubscribe tries again.
            log.error("sockets not revalidated: %s", exc)
            return
        if closed:
            log.info("revalidation closed %d sockets", closed)

    async def _handle(self, data: object) -> None:
        try:
            message = json.loads(data)
            if message.get("op") == "kick":
                await self._kick_local(str(message["room"]), str(message.get("reason", "")))
        except Exception:
            log.exception("bad control message %r", data)
