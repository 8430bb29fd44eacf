"""REST plumbing: JSON bodies in and out, the caller's identity, the error body for everything."""

from __future__ import annotations

import json
import logging
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.exceptions import (
    BadRequest as SanicBadRequest,
)
from sanic.exceptions import (
    MethodNotAllowed as SanicMethodNotAllowed,
)
from sanic.exceptions import (
    NotFound as SanicNotFound,
)
from sanic.exceptions import (
    PayloadTooLarge as SanicPayloadTooLarge,
)
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse
from sanic.response import json as sanic_json

from core import auth
from core.errors import (
    BadRequest,
    Invalid,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RoomcastError,
    Unauthorized,
    invalid_from,
)
from core.identity import Identity
from models.users import User
from server import jsonin
from server.identity import user_from_token

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("roomcast.http")
M = TypeVar("M", bound=BaseModel)


# datetimes and dataclasses are refused as json.dumps refuses them (a bug, not a body)
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(data: Any) -> bytes | str:
    # orjson writes the same JSON values as json.dumps(separators=(",", ":"),
    # ensure_ascii=False) for the bodies we answer with (str keys, str/int/float/bool/None,
    # lists), as UTF-8 bytes, several times faster; a float may be spelled differently
    # (1e-7, not 1e-07), and NaN becomes null, not the invalid NaN (no field of ours holds
    # one: the models refuse them). What it refuses (a non-str key, an int beyond 64 bits)
    # goes the json module's way.
    try:
        return orjson.dumps(data, option=_STRICT)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def reply(data: Any, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    return sanic_json(data, status=status, headers=headers, dumps=dumps)


def items(rows: list[Any]) -> HTTPResponse:
    return reply({"items": rows})


def no_content() -> HTTPResponse:
    return HTTPResponse(status=204)


def error_response(error: RoomcastError) -> HTTPResponse:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return reply({"error": error.body()}, status=error.status, headers=headers)


def body_json(request: Request) -> Any:
    """The request body as JSON; malformed JSON or a non-JSON content type is bad_request."""
    if len(request.body or b"") > request.app.ctx.rt.settings.max_body_bytes:
        raise PayloadTooLarge("request body too large")
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if not request.body:
        return {}
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise BadRequest("expected a JSON body (Content-Type: application/json)")
    try:
        return jsonin.loads(request.body)
    except jsonin.JsonRefused as exc:
        field = exc.field()
        if field is not None:
            raise Invalid(exc.message, fields={field: exc.message}) from None
        raise BadRequest(exc.message) from None


def parse_body(request: Request, model: type[M]) -> M:
    data = body_json(request)
    if not isinstance(data, dict):
        raise Invalid("body must be a JSON object", fields={"_root": "expected an object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def parse_query(request: Request, model: type[M]) -> M:
    data = {key: values[-1] for key, values in request.args.items()}
    try:
        # Query strings are text: "20" and "true" have to be read as an int and a bool.
        query = model.model_validate(data, strict=False)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    for name in type(query).model_fields:
        value = getattr(query, name)
        problem = jsonin.out_of_range(name, value) if value.__class__ is int else None
        if problem is not None:
            raise Invalid(f"{name} {problem}", fields={name: problem})
    return query


def request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        return value.strip()
    return request.cookies.get("access_token") or None


async def current_user(request: Request) -> User:
    cached = getattr(request.ctx, "user", None)
    if cached is not None:
        return cached
    token = request_token(request)
    if token is None:
        raise Unauthorized("authentication required")
    rt = request.app.ctx.rt
    user, claims = await user_from_token(
        secret=rt.settings.jwt_secret, token=token, kinds=(auth.ACCESS,)
    )
    request.ctx.user, request.ctx.claims = user, claims
    return user


async def acting_identity(request: Request) -> Identity:
    """The caller as the acting identity every action takes (resolved once per request)."""
    cached = getattr(request.ctx, "actor", None)
    if cached is None:
        user = await current_user(request)
        cached = request.ctx.actor = Identity.from_user(user, request.ctx.claims)
    return cached


def authenticated(handler):
    """Resolve the caller before the handler runs; the handler gets it: `(request, actor, ...)`."""

    @wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        actor = await acting_identity(request)
        return await handler(request, actor, *args, **kwargs)

    return wrapper


def staff_only(handler):
    """`authenticated`, and refused (403) for a non-staff caller before anything is parsed."""

    @wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        actor = await acting_identity(request)
        actor.require_staff()
        return await handler(request, actor, *args, **kwargs)

    return wrapper


def handles(request: Request) -> Runtime:
    """The runtime the composition root put on the app: what actions are handed."""
    return request.app.ctx.rt


class JsonErrorHandler(ErrorHandler):
    """Every error, ours or Sanic's, as the contract's error body; never a traceback."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        error = to_roomcast_error(exception)
        rt = getattr(request.app.ctx, "rt", None) if request else None
        if rt is not None and isinstance(error, Unauthorized):
            rt.metrics.auth_refusals.labels("rest", error.code).inc()
        if error.status >= 500:
            log.error(
                "unhandled error on %s %s",
                getattr(request, "method", "?"),
                getattr(request, "path", "?"),
                exc_info=exception,
            )
        return error_response(error)


def to_roomcast_error(exception: Exception) -> RoomcastError:
    if isinstance(exception, RoomcastError):
        return exception
    if isinstance(exception, ValidationError):
        return invalid_from(exception)
    if isinstance(exception, SanicNotFound):
        return NotFound(message="no such resource")
    if isinstance(exception, SanicMethodNotAllowed):
        return MethodNotAllowed(str(exception) or "method not allowed")
    if isinstance(exception, SanicPayloadTooLarge):
        return PayloadTooLarge()
    if isinstance(exception, SanicBadRequest):
        return BadRequest(str(exception) or "bad request")
    if isinstance(exception, SanicException) and 400 <= exception.status_code < 500:
        return BadRequest(str(exception) or "bad request")
    return RoomcastError("internal error")
