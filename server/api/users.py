"""/api/v1/users: staff-only listing and activation changes."""

from __future__ import annotations

from pydantic import Field
from sanic import Blueprint, Request

from models import users
from models.common import Payload
from server.api.openapi import doc
from server.api.schemas import User, UserList
from server.http import items, parse_body, parse_query, reply, staff_only
from server.rooms import user_room

bp = Blueprint("users", url_prefix="/users")


class Page(Payload):
    model_config = {"strict": False}
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


@bp.get("/")
@doc("users", query=Page, ok=UserList, auth="staff")
@staff_only
async def list_users(request: Request):
    """List users (staff only)."""
    page = parse_query(request, Page)
    rows = await users.list_users(limit=page.limit, offset=page.offset)
    return items([users.public_user(u) for u in rows])


@bp.get("/<user_id:int>")
@doc("users", ok=User, auth="staff", errors=(404,))
@staff_only
async def get_user(request: Request, user_id: int):
    """One user (staff only)."""
    return reply(users.public_user(await users.get_user(user_id=user_id)))


@bp.patch("/<user_id:int>")
@doc("users", body=users.UserChange, ok=User, auth="staff", errors=(404,))
@staff_only
async def change_user(request: Request, user_id: int):
    """Activate, deactivate, promote or demote a user (staff only); deactivation disconnects."""
    change = parse_body(request, users.UserChange)
    user, deactivated = await users.change_user(user_id=user_id, change=change)
    if deactivated:
        await request.app.ctx.rt.control.kick(user_room(user.id), "user deactivated")
    return reply(users.public_user(user))
