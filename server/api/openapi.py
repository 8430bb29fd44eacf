"""One decorator per REST handler documents it in OpenAPI from the models that validate it.

    @bp.post("/alerts")
    @doc("alerts", body=NewAlert, ok=(201, Alert), auth="staff")
    @staff_only
    async def create_alert(request): ...

`body` and `query` are the pydantic models the handler parses with (parse_body /
parse_query), `ok` the answer's shape from server.api.schemas; the error answers follow
from what the route can refuse (auth, a path id, a body). Everything lands in sanic-ext's
OpenAPI document at /docs/openapi.json through its own `openapi.definition`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from sanic_ext import openapi
from sanic_ext.extensions.openapi.definitions import Component, RequestBody, Response
from sanic_ext.extensions.openapi.types import Schema

from server.api.schemas import ErrorBody

SWAGGER_HTML = Path(__file__).with_name("swagger.html")
Auth = Literal["user", "staff", None]

ERRORS = {
    400: "bad_request: malformed JSON or the wrong content type",
    401: "unauthorized / token_expired / token_revoked: no valid access token",
    403: "forbidden: not allowed for this user",
    404: "not_found: no such object (someone else's object is a 404 too)",
    409: "conflict: the object's state forbids it (see the message)",
    413: "payload_too_large: the body is over ROOMCAST_MAX_BODY_BYTES",
    422: "validation_error: each bad field is named in `error.fields`",
    429: "rate_limited: retry after the `Retry-After` seconds",
}
# Component names must be unique; two domains call their payload NewMember.
_names: dict[type, str] = {}


def component(model: type[BaseModel], name: str | None = None):
    name = name or _names.get(model) or model.__name__
    _names[model] = name
    return Component(model, name=name)


def _json(model: type[BaseModel], name: str | None = None) -> dict:
    return {"application/json": component(model, name)}


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k != "title"}
        params.append(
            {
                "name": name,
                "schema": Schema(**prop),
                "location": "query",
                "required": name in required,
            }
        )
    return params


def doc(
    tag: str,
    *,
    body: type[BaseModel] | None = None,
    body_name: str | None = None,
    body_required: bool = True,
    text_body: str | None = None,
    query: type[BaseModel] | None = None,
    ok: tuple[int, type[BaseModel] | None] | type[BaseModel] | None = None,
    text_answer: str | None = None,
    auth: Auth = "user",
    errors: Sequence[int] = (),
    summary: str | None = None,
    description: str | None = None,
) -> Callable:
    """Document one handler (see the module docstring)."""
    status, answer = ok if isinstance(ok, tuple) else (200, ok)
    responses = []
    if text_answer is not None:
        content = {"text/plain": {"schema": Schema(type="string")}}
        responses.append(Response(content, status=status, description=text_answer))
    elif answer is None:
        responses.append(Response({}, status=status, description="done, no body"))
    else:
        responses.append(Response(_json(answer), status=status, description="OK"))
    codes = set(errors)
    if auth is not None:
        codes.add(401)
    if auth == "staff":
        codes.add(403)
    if body is not None or text_body is not None:
        codes.update({400, 413, 422})
    if query is not None:
        codes.add(422)
    for code in sorted(codes):
        responses.append(Response(_json(ErrorBody), status=code, description=ERRORS[code]))

    request_body = None
    if body is not None:
        content = _json(body, body_name)
        if text_body is not None:
            content["text/plain"] = {"schema": Schema(type="string", description=text_body)}
        request_body = RequestBody(content, required=body_required)

    def decorate(handler: Callable) -> Callable:
        text = (handler.__doc__ or "").strip()
        first, _, rest = text.partition("\n")
        decorated = openapi.definition(
            tag=tag,
            summary=summary or first.strip() or None,
            description=description or rest.strip() or None,
            body=request_body,
            parameter=_query_parameters(query) if query is not None else None,
            response=responses,
        )(handler)
        if auth is not None:
            # Two requirements, either one will do: the header or the cookie.
            decorated = openapi.secured("cookie")(openapi.secured("bearer")(decorated))
        return decorated

    return decorate


def add_security_schemes(app) -> None:
    """The two ways a REST call authenticates (docs/protocol.md §4)."""
    spec = app.ext.openapi
    spec.add_security_scheme(
        "bearer",
        "http",
        bearer_format="JWT",
        description="an access token from POST /api/v1/auth/login (not a ws-token)",
    )
    spec.add_security_scheme(
        "cookie",
        "apiKey",
        location="cookie",
        name="access_token",
        description="the HttpOnly cookie login sets (browsers)",
    )
