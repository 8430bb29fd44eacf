"""/api/v1/auth: register, login, refresh (rotation + reuse detection), logout, ws-token, me."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request

from core.identity import Identity
from models import logins, users
from models.common import Payload
from server import auth
from server.api.openapi import doc
from server.api.schemas import Me, Tokens, WsToken
from server.cookies import clear_auth_cookies, set_auth_cookies
from server.errors import RateLimited, Unauthorized
from server.http import authenticated, body_json, current_user, no_content, parse_body, reply
from server.identity import client_address
from server.rooms import login_room

bp = Blueprint("auth", url_prefix="/auth")


class RefreshBody(Payload):
    refresh_token: str | None = Field(default=None, max_length=4096)


async def _limit(request: Request, action: str, limit: int, window: int) -> None:
    rt = request.app.ctx.rt
    address = client_address(
        request.client_ip,
        forwarded_for=request.headers.get("x-forwarded-for"),
        real_ip=request.headers.get("x-real-ip"),
        trusted=rt.settings.trusted_proxies,
    )
    retry = await rt.limiter.hit(f"{action}:{address}", limit=limit, window=window)
    if retry is not None:
        raise RateLimited(retry)


def _tokens_response(request: Request, pair: logins.TokenPair, status: int):
    response = reply(pair.body(), status=status)
    set_auth_cookies(request, response, pair)
    return response


@bp.post("/register")
@doc("auth", body=users.Registration, ok=(201, Tokens), auth=None, errors=(409, 429))
async def register(request: Request):
    """Create an account and sign in."""
    await _limit(request, "register", limit=10, window=60)
    body = parse_body(request, users.Registration)
    user = await users.create_user(**body.model_dump())
    pair = await logins.start_login(settings=request.app.ctx.rt.settings, user=user)
    return _tokens_response(request, pair, 201)


@bp.post("/login")
@doc("auth", body=users.Credentials, ok=Tokens, auth=None, errors=(429,))
async def login(request: Request):
    """Sign in with email and password; answers tokens and sets HttpOnly cookies."""
    await _limit(request, "login", limit=20, window=60)
    body = parse_body(request, users.Credentials)
    user = await users.authenticate(email=body.email, password=body.password)
    pair = await logins.start_login(settings=request.app.ctx.rt.settings, user=user)
    return _tokens_response(request, pair, 200)


@bp.post("/refresh")
@doc("auth", body=RefreshBody, body_required=False, ok=Tokens, auth=None, errors=(401, 429))
async def refresh(request: Request):
    """Swap a refresh token (body wins over cookie) for a new pair; the old one dies."""
    await _limit(request, "refresh", limit=60, window=60)
    data = body_json(request)
    token = None
    if isinstance(data, dict) and data:
        token = parse_body(request, RefreshBody).refresh_token
    token = token or request.cookies.get("refresh_token")
    if not token:
        raise Unauthorized("refresh_token missing (body or cookie)")
    rt = request.app.ctx.rt
    try:
        pair = await logins.rotate(settings=rt.settings, refresh_token=token)
    except Unauthorized as exc:
        if exc.code == "token_revoked":
            claims = auth.verify(rt.settings.jwt_secret, token, kinds=(auth.REFRESH,))
            await rt.control.kick(login_room(claims.login_id), "refresh token reused")
        raise
    return _tokens_response(request, pair, 200)


@bp.post("/logout")
@doc("auth", ok=(204, None))
@authenticated
async def logout(request: Request, actor: Identity):
    """Revoke this login's tokens and disconnect its live sockets on every node."""
    rt = request.app.ctx.rt
    login_id = request.ctx.claims.login_id
    await logins.revoke(login_id=login_id, reason="logout")
    await rt.control.kick(login_room(login_id), "logged out")
    response = no_content()
    clear_auth_cookies(request, response)
    return response


@bp.post("/ws-token")
@doc("auth", ok=WsToken)
@authenticated
async def ws_token(request: Request, actor: Identity):
    """A short-lived token good for exactly one socket connection."""
    rt = request.app.ctx.rt
    claims = request.ctx.claims
    ttl = rt.settings.ws_token_ttl
    token, _ = auth.issue(
        rt.settings.jwt_secret,
        user_id=claims.user_id,
        kind=auth.WS,
        login_id=claims.login_id,
        ttl=ttl,
    )
    return reply({"ws_token": token, "expires_in": ttl})


@bp.get("/me")
@doc("auth", ok=Me)
async def me(request: Request):
    """The signed-in user."""
    return reply({"user": users.public_user(await current_user(request))})
