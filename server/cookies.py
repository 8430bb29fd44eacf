"""The HttpOnly auth cookies set by login, register and refresh, and cleared by logout."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from models.logins import TokenPair
from server.identity import is_trusted

NAMES = ("access_token", "refresh_token")


def _secure(request: Request) -> bool:
    """Secure when forced by ROOMCAST_SECURE_COOKIES, served over TLS, or behind a trusted
    TLS proxy (`X-Forwarded-Proto: https` from a ROOMCAST_TRUSTED_PROXIES peer)."""
    settings = request.app.ctx.rt.settings
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    # Under uvicorn the ASGI scope's scheme is https when the connection itself is TLS;
    # Sanic's own request.scheme does not read it.
    scope = getattr(request.transport, "scope", None) or {}
    if scope.get("scheme") in ("https", "wss") or request.scheme in ("https", "wss"):
        return True
    proto = request.headers.get("x-forwarded-proto", "")
    if proto and is_trusted(request.client_ip, settings.trusted_proxies):
        return proto.split(",")[-1].strip().lower() == "https"
    return False


def set_auth_cookies(request: Request, response: HTTPResponse, pair: TokenPair) -> None:
    secure = _secure(request)
    settings = request.app.ctx.rt.settings
    for name, value, max_age, path in (
        ("access_token", pair.access_token, settings.access_token_ttl, "/"),
        ("refresh_token", pair.refresh_token, settings.refresh_token_ttl, "/api/v1/auth"),
    ):
        response.add_cookie(
            name,
            value,
            path=path,
            max_age=max_age,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )


def clear_auth_cookies(request: Request, response: HTTPResponse) -> None:
    for name, path in (("access_token", "/"), ("refresh_token", "/api/v1/auth")):
        response.delete_cookie(name, path=path)
