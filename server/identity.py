"""Who is calling: tokens turned into users (one database query), and the socket identity."""

from __future__ import annotations

import ipaddress
import secrets
import string
from dataclasses import asdict, dataclass
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from models import logins
from models.users import User
from server import auth
from server.errors import TokenRevoked, Unauthorized
from server.spent_tokens import SpentTokens


class UserInactive(Unauthorized):
    default_message = "this account is deactivated"


@dataclass
class Identity:
    """What a socket session remembers of its user; a guest has user_id None."""

    user_id: int | None
    name: str
    is_staff: bool
    login_id: str | None = None
    expires_at: int | None = None

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    def brief(self) -> dict[str, Any]:
        return {"id": self.user_id, "name": self.name, "is_staff": self.is_staff}

    def as_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_user(cls, user: User, claims: auth.Claims) -> Identity:
        return cls(user.id, user.display_name, user.is_staff, claims.login_id, claims.expires_at)

    @classmethod
    def guest(cls) -> Identity:
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        return cls(None, f"guest-{suffix}", False)


async def user_from_token(
    *, secret: str, token: object, kinds: tuple[str, ...], spent: SpentTokens | None = None
) -> tuple[User, auth.Claims]:
    claims = auth.verify(secret, token, kinds=kinds)
    if claims.kind == auth.WS and (
        spent is None or not await spent.spend(claims.jti, expires_at=claims.expires_at)
    ):
        raise TokenRevoked("this websocket token was already used")
    user = await logins.resolve(login_id=claims.login_id, user_id=claims.user_id)
    if not user.is_active:
        raise UserInactive()
    return user, claims


def socket_token(environ: dict, auth_data: object) -> str | None:
    """The token a connect presents: handshake auth, then ?token=, then the access_token cookie."""
    if isinstance(auth_data, dict):
        token = auth_data.get("token")
        if token not in (None, ""):
            return token
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("token") and query["token"][0]:
        return query["token"][0]
    cookie_header = environ.get("HTTP_COOKIE")
    if cookie_header:
        try:
            jar = SimpleCookie(cookie_header)
        except CookieError:
            return None
        if "access_token" in jar and jar["access_token"].value:
            return jar["access_token"].value
    return None


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple:
    networks = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # settings validated the list; a stray name simply never matches
    return tuple(networks)


def is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    """Whether `address` is one of the trusted proxies (addresses or CIDR networks)."""
    if address in trusted:
        return True
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


def client_address(
    peer: str, *, forwarded_for: str | None, real_ip: str | None, trusted: tuple[str, ...]
) -> str:
    """The caller's address; forwarding headers count only when the peer is a trusted proxy.

    X-Forwarded-For is read from the right (what nginx's realip module does with
    `real_ip_recursive on`): the right-most entry that is not a trusted proxy is the client.
    The left part is whatever the client sent, so it is never believed.
    """
    if not is_trusted(peer, trusted):
        return peer
    if forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not is_trusted(hop, trusted):
                return hop
        if hops:
            return hops[0]  # every hop is a trusted proxy: the first one is the origin
    if real_ip:
        return real_ip.strip()
    return peer


def environ_address(environ: dict, trusted: tuple[str, ...]) -> str:
    """client_address for a Socket.IO environ (engine.io fakes REMOTE_ADDR under ASGI)."""
    peer = ((environ.get("asgi.scope") or {}).get("client") or ("unknown", 0))[0]
    return client_address(
        peer,
        forwarded_for=environ.get("HTTP_X_FORWARDED_FOR"),
        real_ip=environ.get("HTTP_X_REAL_IP"),
        trusted=trusted,
    )
