"""Account use cases run by staff: (de)activating and (un)promoting a user."""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import users
from models.common import utcnow
from models.logins import Login
from server.rooms import user_room


@action
async def change_user(
    rt: Handles, actor: Identity, user_id: int, change: users.UserChange
) -> dict[str, Any]:
    """Each change disconnects the user's sockets, on every node."""
    actor.require_staff()
    was_staff = (await users.get_user(user_id=user_id)).is_staff
    user, deactivated = await users.change_user(user_id=user_id, change=change)
    if deactivated:
        # Every login of the user is revoked: tokens from before a deactivation stay dead
        # after a reactivation (the user signs in again; docs/hardening.md).
        await Login.filter(user_id=user.id, revoked_at=None).update(
            revoked_at=utcnow(), revoked_reason="user deactivated"
        )
        await rt.control.kick(user_room(user.id), "user deactivated")
    elif user.is_staff != was_staff:
        # Privileges follow the account: the user's sockets, on every node, were admitted with
        # the old role (rooms, session); they are closed the way deactivation closes them and
        # reconnect with the new one (docs/hardening.md).
        await rt.control.kick(user_room(user.id), "staff role changed")
    return users.public_user(user)
