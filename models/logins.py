"""Logins: one row per sign-in, the unit that tokens belong to and that revocation kills.

Refresh tokens rotate: the login remembers the jti of the one live refresh token. Presenting
any other (older) refresh token of that login is reuse, and revokes the whole login.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tortoise import fields
from tortoise.models import Model

from core import auth
from core.errors import TokenRevoked, Unauthorized
from core.settings import Settings
from models.common import utcnow
from models.statements import GroupRead
from models.users import User


class Login(Model):
    id = fields.CharField(primary_key=True, max_length=32)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="logins", on_delete=fields.CASCADE
    )
    refresh_jti = fields.CharField(max_length=32, null=True)
    kind = fields.CharField(max_length=16, default="password")
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "logins"

    def __str__(self) -> str:
        return f"login {self.id} of user {self.user_id}"


class SpentWsToken(Model):
    """A ws-token that opened a socket: the insert is the spend (server.spent_tokens)."""

    jti = fields.CharField(primary_key=True, max_length=64)
    expires_at = fields.DatetimeField(index=True)

    class Meta:
        table = "spent_ws_tokens"

    def __str__(self) -> str:
        return f"spent ws-token {self.jti}"


@dataclass(frozen=True)
class TokenPair:
    user: User
    login_id: str
    access_token: str
    refresh_token: str
    expires_in: int

    def body(self) -> dict:
        from models.users import public_user

        return {
            "user": public_user(self.user),
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def _pair(settings: Settings, user: User, login_id: str) -> tuple[TokenPair, str]:
    access, _ = auth.issue(
        settings.jwt_secret,
        user_id=user.id,
        kind=auth.ACCESS,
        login_id=login_id,
        ttl=settings.access_token_ttl,
    )
    refresh, claims = auth.issue(
        settings.jwt_secret,
        user_id=user.id,
        kind=auth.REFRESH,
        login_id=login_id,
        ttl=settings.refresh_token_ttl,
    )
    pair = TokenPair(user, login_id, access, refresh, settings.access_token_ttl)
    return pair, claims.jti


async def start_login(*, settings: Settings, user: User, kind: str = "password") -> TokenPair:
    login_id = uuid.uuid4().hex
    await Login.create(id=login_id, user=user, kind=kind)
    pair, jti = _pair(settings, user, login_id)
    await Login.filter(id=login_id).update(refresh_jti=jti)
    return pair


async def rotate(*, settings: Settings, refresh_token: str) -> TokenPair:
    """Swap a live refresh token for a new pair; a dead one revokes its login (reuse)."""
    claims = auth.verify(settings.jwt_secret, refresh_token, kinds=(auth.REFRESH,))
    login = await Login.get_or_none(id=claims.login_id).select_related("user")
    if login is None or login.user_id != claims.user_id:
        raise auth.TokenInvalid("unknown login")
    if login.revoked_at is not None:
        raise TokenRevoked("this login was revoked")
    if not login.user.is_active:
        raise Unauthorized("this account is deactivated")
    pair, new_jti = _pair(settings, login.user, login.id)
    # The conditional update is the race guard: of two refreshes with one token, one wins.
    won = await Login.filter(id=login.id, refresh_jti=claims.jti, revoked_at=None).update(
        refresh_jti=new_jti
    )
    if not won:
        await revoke(login_id=login.id, reason="refresh_reuse")
        raise TokenRevoked("refresh token reused: every token of this login is revoked")
    return pair


async def revoke(*, login_id: str, reason: str) -> bool:
    """Revoke a login; True when this call did it (it was live)."""
    changed = await Login.filter(id=login_id, revoked_at=None).update(
        revoked_at=utcnow(), revoked_reason=reason
    )
    return bool(changed)


# Every authenticated REST request and socket connect runs this, so it is one hand-written
# statement (models.statements), read afresh each time: a revocation or a deactivation on any
# node (or by the CLI) takes effect on the very next request. Look-ups asked in the same loop
# iteration (concurrent requests) share one statement, `... WHERE l."id" IN (...)`.
_RESOLVE = GroupRead(
    'SELECT l."id" AS "login_key", l."user_id" AS "login_user_id",'
    ' l."revoked_at" IS NOT NULL AS "login_revoked", u.*'
    ' FROM "logins" l JOIN "users" u ON u."id" = l."user_id" WHERE l."id" IN ({keys})',
    key="login_key",
)


async def resolve(*, login_id: str, user_id: int) -> User:
    """One query: the login with its user; raises unless both are live."""
    found = await _RESOLVE.rows(login_id)
    if not found or found[0]["login_user_id"] != user_id:
        raise auth.TokenInvalid("unknown login")
    row = found[0]
    if row["login_revoked"]:
        raise TokenRevoked("token revoked")
    return User._init_from_db(**dict(row))
