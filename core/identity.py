"""Who is acting: one shape for a user, a staff member or a guest, and the one ownership rule.

Every action takes an Identity, whichever door (REST or socket) the call came through. The
rule "staff may act on any user's data, a user only on their own" lives here and nowhere
else; services get it either as a question (`may_act_on`) or as the filter of a query
(`scope`), where someone else's object is then simply not found (a 404, never a 403).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass
from typing import Any

from core.errors import Forbidden, NotFound


@dataclass
class Identity:
    """The acting user (or guest: user_id None); what a socket session remembers."""

    user_id: int | None
    name: str
    is_staff: bool
    login_id: str | None = None
    expires_at: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def guest_name(self) -> str | None:
        """The name a guest's messages are signed with (None for a user)."""
        return self.name if self.is_guest else None

    # --- the one rule ------------------------------------------------------------------

    def may_act_on(self, owner_id: int | None) -> bool:
        """Whether this identity may read or change data owned by `owner_id`."""
        if self.is_staff:
            return True
        return self.user_id is not None and owner_id == self.user_id

    @property
    def scope(self) -> int | None:
        """`may_act_on` as a query filter: the owner to filter on, or None (anyone's: staff)."""
        return None if self.is_staff else self.user_id

    def owner_for(self, wanted: int | None) -> int:
        """Whose objects a call creates or lists: the caller's own, or `wanted`'s if allowed.

        Someone else the caller may not act for is not found, as their objects are."""
        if wanted is None or wanted == self.user_id:
            return self.user_id
        if not self.may_act_on(wanted):
            raise NotFound("user")
        return wanted

    def require_staff(self) -> None:
        """Refuse a use case reserved to staff."""
        if not self.is_staff:
            raise Forbidden("staff only")

    def list_scope(self, wanted: int | None) -> int | None:
        """The filter of a listing: `wanted`'s objects if allowed, else the default `scope`."""
        return self.scope if wanted is None else self.owner_for(wanted)

    # --- shapes ------------------------------------------------------------------------

    def brief(self) -> dict[str, Any]:
        return {"id": self.user_id, "name": self.name, "is_staff": self.is_staff}

    def as_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_user(cls, user: Any, claims: Any = None) -> Identity:
        """A signed-in user (a models.users.User) with the claims of the token they showed."""
        if claims is None:
            return cls(user.id, user.display_name, user.is_staff)
        return cls(user.id, user.display_name, user.is_staff, claims.login_id, claims.expires_at)

    @classmethod
    def guest(cls) -> Identity:
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        return cls(None, f"guest-{suffix}", False)
