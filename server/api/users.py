"""/api/v1/users: staff-only listing and activation changes."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request

from actions import users as actions
from actions.registry import door
from core.identity import Identity
from models import users
from models.common import Payload
from server.api.openapi import doc
from server.api.schemas import User, UserList
from server.http import handles, items, parse_body, parse_query, reply, staff_only

bp = Blueprint("users", url_prefix="/users")


class Page(Payload):
    model_config = {"strict": False}
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


@bp.get("/")
@doc("users", query=Page, ok=UserList, auth="staff")
@staff_only
async def list_users(request: Request, actor: Identity):
    """List users (staff only)."""
    page = parse_query(request, Page)
    rows = await users.list_users(limit=page.limit, offset=page.offset)
    return items([users.public_user(u) for u in rows])


@bp.get("/<user_id:int>")
@doc("users", ok=User, auth="staff", errors=(404,))
@staff_only
async def get_user(request: Request, actor: Identity, user_id: int):
    """One user (staff only)."""
    return reply(users.public_user(await users.get_user(user_id=user_id)))


@bp.patch("/<user_id:int>")
@doc("users", body=users.UserChange, ok=User, auth="staff", errors=(404,))
@staff_only
@door(actions.change_user)
async def change_user(request: Request, actor: Identity, user_id: int):
    """Activate, deactivate, promote or demote a user (staff only); each disconnects the user."""
    change = parse_body(request, users.UserChange)
    return reply(await actions.change_user(handles(request), actor, user_id, change))
