"""`roomcast send-alert`: store an alert and deliver it from a process that is not the server.

With Redis configured the command stores the alert itself and hands the events to the bus
(the Redis Stream every node reads, docs/cluster.md): every node delivers them to that user's
sockets. When Redis does not take them within a few seconds the command fails (exit 1): the
alert is then stored (the user sees it in `list`) but was not pushed live. Without Redis there
is one server process holding the sockets, so the command asks it over REST (`POST /api/v1/alerts`),
signed in as a staff user for one minute; that login is revoked afterwards.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from redis.asyncio import Redis
from redis.exceptions import RedisError

from models import alerts
from models.alerts import NewAlert
from models.logins import revoke, start_login
from models.users import User
from server.broadcast.alerts import new_alert
from server.db import close_database, open_database
from server.errors import NotFound, RoomcastError
from server.history import attach
from server.runtime import make_history
from server.settings import Settings
from server.sockets import redis_manager

HAND_OVER_TIMEOUT = 5.0


async def send_through_redis(settings: Settings, payload: NewAlert) -> dict:
    await _redis_answers(settings)  # before storing: no alert stored when the bus is down
    await open_database(settings.database_url)
    try:
        alert = await alerts.create_alert(**payload.model_dump())
        manager = redis_manager(settings, write_only=True)
        history_redis = Redis.from_url(settings.redis_url)
        history = make_history(settings, history_redis)
        attach(manager, history)  # replayable like the server's
        try:
            await new_alert(manager, alert)
        finally:
            if history is not None:
                await history.close()
            await history_redis.aclose()
            handed_over = await manager.close_bus(timeout=HAND_OVER_TIMEOUT)
        if not handed_over:
            raise RoomcastError(
                f"alert {alert.id} is stored but could not be handed to the bus: Redis at "
                f"{settings.redis_url} did not take it within {HAND_OVER_TIMEOUT:.0f} s "
                f"({manager.last_write_error or 'no answer'}); the user sees it in `list`"
            )
        return alerts.alert_dict(alert)
    finally:
        await close_database()


async def _redis_answers(settings: Settings) -> None:
    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise RoomcastError(
            f"cannot reach Redis at {settings.redis_url} ({exc}): the alert was not stored"
        ) from None
    finally:
        await client.aclose()


async def send_through_server(settings: Settings, payload: NewAlert, server_url: str) -> dict:
    await open_database(settings.database_url)
    try:
        staff = await User.filter(is_staff=True, is_active=True).order_by("id").first()
        if staff is None:
            raise NotFound(
                "staff user", message="no active staff user: create one with create-user --staff"
            )
        pair = await start_login(settings=settings.with_changes(access_token_ttl=60), user=staff)
        try:
            return _post(server_url, pair.access_token, payload)
        finally:
            await revoke(login_id=pair.login_id, reason="send-alert done")
    finally:
        await close_database()


def _post(server_url: str, token: str, payload: NewAlert) -> dict:
    request = urllib.request.Request(
        server_url.rstrip("/") + "/api/v1/alerts",
        data=payload.model_dump_json().encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]
        except (ValueError, KeyError):
            raise RoomcastError(f"server answered {exc.code}") from None
        raise RoomcastError(error["message"], fields=error.get("fields")) from None
    except urllib.error.URLError as exc:
        raise RoomcastError(f"cannot reach the server at {server_url}: {exc.reason}") from None
