"""Ordered, batched Redis publishing and a cheap own-message filter for the Redis manager.

Stock `AsyncRedisManager` awaits one PUBLISH round trip per emit, and every node (the emitter
included) reads every message back and JSON-decodes it before dropping its own. Here:

* every publish goes through ONE FIFO drained by one task, so what is queued in a burst leaves
  in one pipelined round trip, and messages reach Redis in the order they were published;
* emits do not wait for Redis (local recipients were already served; Node's redis-adapter does
  not wait either); other messages (disconnect, room changes, ack callbacks) still wait until
  their batch is written, as before; both share the FIFO so an emit never overtakes them;
* a node's own messages are encoded with its `host_id` as the first key, so the listener drops
  them by a prefix test on the raw bytes instead of decoding them. The wire format stays the
  JSON python-socketio expects, so stock nodes and write-only emitters interoperate.
"""

from __future__ import annotations

import asyncio
import base64
import logging

from socketio.packet import Packet

log = logging.getLogger("roomcast.fastpath")

MAX_BATCH = 512


class RedisPublisherMixin:
    def _publisher_init(self) -> None:
        self._outbox: asyncio.Queue | None = None
        self._publisher: asyncio.Task | None = None
        self._own_prefix = ('{"host_id":"' + self.host_id + '",').encode()

    # --- sending ---------------------------------------------------------------------------

    def _encode_own(self, message: dict) -> str:
        if message.get("host_id") == self.host_id:
            message = {"host_id": self.host_id, **message}
        return self.json.dumps(message)

    def _ensure_publisher(self) -> asyncio.Queue:
        if self._outbox is None:
            self._outbox = asyncio.Queue()
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.get_running_loop().create_task(self._publish_loop())
        return self._outbox

    def _publish_emit(self, event, data, namespace, room, skip_sid) -> None:
        data = list(data) if isinstance(data, tuple) else [data]
        binary = Packet.data_is_binary(data)
        if binary:
            data, attachments = Packet.deconstruct_binary(data)
            data = [data, *[base64.b64encode(a).decode() for a in attachments]]
        message = {
            "method": "emit",
            "event": event,
            "data": data,
            "binary": binary,
            "namespace": namespace,
            "room": room,
            "skip_sid": skip_sid,
            "callback": None,
            "host_id": self.host_id,
        }
        self._ensure_publisher().put_nowait((self._encode_own(message), None))

    async def _publish(self, data):
        if self.write_only or self.server is None:
            return await super()._publish(data)
        done = asyncio.get_running_loop().create_future()
        self._ensure_publisher().put_nowait((self._encode_own(data), done))
        await done

    async def _publish_loop(self) -> None:
        outbox = self._outbox
        while True:
            batch = [await outbox.get()]
            while len(batch) < MAX_BATCH and not outbox.empty():
                batch.append(outbox.get_nowait())
            await self._write_batch([payload for payload, _ in batch])
            for _, done in batch:
                if done is not None and not done.done():
                    done.set_result(None)

    async def _write_batch(self, payloads: list[str]) -> None:
        for attempt in (1, 2):  # the stock manager's policy: two attempts, then give up
            try:
                if not self.connected:
                    self._redis_connect()
                if len(payloads) == 1:
                    await self.redis.publish(self.channel, payloads[0])
                else:
                    pipe = self.redis.pipeline(transaction=False)
                    for payload in payloads:
                        pipe.publish(self.channel, payload)
                    await pipe.execute()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected = False
                log.error(
                    "cannot publish %d message(s) to redis (attempt %d): %s",
                    len(payloads),
                    attempt,
                    exc,
                )

    async def flush(self) -> None:
        """Wait until everything published so far has been written to Redis."""
        if self._publisher is not None and not self._publisher.done():
            await self._publish({"method": "noop", "host_id": self.host_id})

    # --- receiving -------------------------------------------------------------------------

    async def _listen(self):
        own = self._own_prefix
        async for raw in super()._listen():
            if isinstance(raw, bytes) and raw.startswith(own):
                continue  # our own message: already delivered locally
            yield raw
