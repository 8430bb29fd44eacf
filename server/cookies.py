"""The HttpOnly auth cookies set by login, register and refresh, and cleared by logout."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse

from models.logins import TokenPair

NAMES = ("access_token", "refresh_token")


def _secure(request: Request) -> bool:
    settings = request.app.ctx.rt.settings
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    # Under uvicorn the ASGI scope's scheme is https when the connection is TLS, or when a
    # proxy uvicorn trusts (FORWARDED_ALLOW_IPS) said X-Forwarded-Proto: https; Sanic's own
    # request.scheme reads neither.
    scope = getattr(request.transport, "scope", None) or {}
    if scope.get("scheme") in ("https", "wss"):
        return True
    if request.client_ip in settings.trusted_proxies:
        # Behind nginx terminating TLS (deploy/nginx/) with uvicorn's proxy headers off.
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if proto:
            return proto in ("https", "wss")
    return request.scheme in ("https", "wss")


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
