"""Who is calling: tokens turned into users (one database query), addresses behind proxies.

The acting identity itself is core.identity.Identity (re-exported here).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from core import auth
from core.errors import TokenRevoked, Unauthorized
from core.identity import Identity
from models import logins
from models.users import User
from server.spent_tokens import SpentTokens

__all__ = ["Identity", "UserInactive", "client_address", "socket_token", "user_from_token"]


class UserInactive(Unauthorized):
    default_message = "this account is deactivated"


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
