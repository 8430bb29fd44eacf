"""Issue and verify tokens: pure functions, no I/O.

Every token is an HS256 JWT with `sub` (user id as a string), `typ` (access, refresh or ws),
`lid` (the login it belongs to, so that one revocation kills all of them), `jti`, `iat`, `exp`.
Checking a token has two outcomes besides success, handled here in one place: expired, invalid.
Revocation needs the database and lives in models.logins.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from core.errors import TokenExpired, Unauthorized

ALGORITHM = "HS256"
ACCESS, REFRESH, WS = "access", "refresh", "ws"


@dataclass(frozen=True)
class Claims:
    user_id: int
    kind: str
    login_id: str
    jti: str
    expires_at: int


class TokenInvalid(Unauthorized):
    code, default_message = "unauthorized", "invalid token"


def issue(
    secret: str, *, user_id: int, kind: str, login_id: str, ttl: int, now: float | None = None
) -> tuple[str, Claims]:
    issued = int(now if now is not None else time.time())
    claims = Claims(
        user_id=user_id, kind=kind, login_id=login_id, jti=uuid.uuid4().hex, expires_at=issued + ttl
    )
    payload = {
        "sub": str(user_id),
        "typ": kind,
        "lid": login_id,
        "jti": claims.jti,
        "iat": issued,
        "exp": claims.expires_at,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), claims


# Tokens already checked: (secret, token) -> Claims. A signature and the claims in it never
# change, so a token seen again (every REST request of a client carries the same one) skips
# the HMAC and the JSON; its expiry and kind are checked on every call. Revocation is not a
# property of the token (models.logins reads it each time), so caching cannot delay it.
_checked: dict[tuple[str, str], Claims] = {}
CHECKED_MAX = 4096


def verify(secret: str, token: object, *, kinds: tuple[str, ...]) -> Claims:
    """Decode and check a token; raise TokenExpired or TokenInvalid."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise TokenInvalid("token is not a string")
    claims = _checked.get((secret, token))
    if claims is None:
        claims = _decode(secret, token, kinds)
        if len(_checked) >= CHECKED_MAX:
            _checked.clear()
        _checked[(secret, token)] = claims
    elif claims.expires_at <= time.time():  # what PyJWT's check says for `exp`
        raise TokenExpired("token has expired")
    if claims.kind not in kinds:
        raise TokenInvalid(f"a {claims.kind} token is not accepted here")
    return claims


def _decode(secret: str, token: str, kinds: tuple[str, ...]) -> Claims:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired("token has expired") from None
    except (jwt.PyJWTError, UnicodeError, ValueError):
        # a header that is not UTF-8 reaches PyJWT as surrogates (UnicodeEncodeError);
        # not PyJWT's own text ("Invalid header string: 'utf-8' codec..."): a fixed message
        raise TokenInvalid("invalid token") from None
    kind = payload.get("typ")
    if kind not in kinds:
        raise TokenInvalid(f"a {kind} token is not accepted here")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        raise TokenInvalid("invalid token subject") from None
    login_id, jti = payload.get("lid"), payload.get("jti")
    if not isinstance(login_id, str) or not isinstance(jti, str):
        raise TokenInvalid("token lacks its login")
    return Claims(
        user_id=user_id, kind=kind, login_id=login_id, jti=jti, expires_at=int(payload["exp"])
    )


def verify_bench(secret: str, token: object) -> str:
    """The bench contract: any HS256 token of ours with a string `sub`; no database."""
    if not isinstance(token, str):
        raise TokenInvalid("token is not a string")
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError:
        raise TokenExpired("token has expired") from None
    except (jwt.PyJWTError, UnicodeError, ValueError):
        raise TokenInvalid("invalid token") from None
    return str(payload.get("sub"))
