"""The error hierarchy, mapped once to REST bodies and once to socket acks.

Services raise these; the REST error handler and the namespace dispatcher turn them into
`{"error": {"code", "message", "fields"}}` and `{"ok": false, "error": {...}}` respectively.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class RoomcastError(Exception):
    code = "internal_error"
    status = 500
    default_message = "internal error"

    def __init__(self, message: str | None = None, *, fields: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class BadRequest(RoomcastError):
    code, status, default_message = "bad_request", 400, "bad request"


class Unauthorized(RoomcastError):
    code, status, default_message = "unauthorized", 401, "authentication required"


class TokenExpired(Unauthorized):
    code, default_message = "token_expired", "token expired"


class TokenRevoked(Unauthorized):
    code, default_message = "token_revoked", "token revoked"


class Forbidden(RoomcastError):
    code, status, default_message = "forbidden", 403, "forbidden"


class NotFound(RoomcastError):
    code, status = "not_found", 404

    def __init__(self, what: str = "object", *, message: str | None = None):
        super().__init__(message or f"{what} not found")


class MethodNotAllowed(RoomcastError):
    code, status, default_message = "method_not_allowed", 405, "method not allowed"


class Conflict(RoomcastError):
    code, status, default_message = "conflict", 409, "conflict"


class PayloadTooLarge(RoomcastError):
    code, status, default_message = "payload_too_large", 413, "payload too large"


class Invalid(RoomcastError):
    code, status, default_message = "validation_error", 422, "invalid input"


class RateLimited(RoomcastError):
    code, status, default_message = "rate_limited", 429, "too many requests"

    def __init__(self, retry_after: int, message: str | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or f"too many requests, retry in {self.retry_after} s")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {"dotted.field": "message"}; the payload root is "_root"."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in err["loc"]) or "_root"
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        fields.setdefault(loc, message)
    return fields


def invalid_from(exc: ValidationError) -> Invalid:
    fields = field_errors(exc)
    names = ", ".join(sorted(fields)) or "payload"
    return Invalid(f"invalid {names}", fields=fields)
