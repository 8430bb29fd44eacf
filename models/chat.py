"""Chat rooms, memberships and messages: models, schemas, room services.

Posting and reading messages is models.chat_messages.

Access rule, in one place (`can_enter`): a public room admits anyone, guests included; a
private room its members and staff; a staff room staff only. Services take the caller as a
`Caller` (user id or None for a guest, and the staff flag) and know nothing of sockets or HTTP.
"""

from __future__ import annotations

import contextlib
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator
from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.errors import Conflict, Forbidden, NotFound
from core.identity import Identity
from models.common import Payload, iso
from models.statements import remembered
from models.users import User, brief_user

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
BODY_MAX = 4000
HISTORY_DEFAULT, HISTORY_MAX = 50, 100
ROOM_CACHE_MAX = 10_000
KindName = Literal["public", "private", "staff"]


class RoomKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    STAFF = "staff"


# Rooms every installation has, seeded or not (created at start-up, see ensure_default_rooms).
DEFAULT_ROOMS = (
    ("general", "General", RoomKind.PUBLIC),
    ("management", "Management", RoomKind.STAFF),
)


class Room(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(RoomKind, max_length=8)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_rooms", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_rooms"

    def __str__(self) -> str:
        return self.slug


class RoomMember(Model):
    id = fields.IntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="members", on_delete=fields.CASCADE
    )
    room_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_memberships", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_room_members"
        unique_together = (("room", "user"),)

    def __str__(self) -> str:
        return f"{self.user_id}@{self.room_id}"


class Message(Model):
    id = fields.IntField(primary_key=True)
    room: fields.ForeignKeyRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name="messages", on_delete=fields.CASCADE
    )
    room_id: int
    # Null for a guest (then guest_name is set) and for a user deleted since.
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_messages", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    guest_name = fields.CharField(max_length=32, null=True)
    body = fields.TextField()
    client_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_messages"
        # Safe retries, decided by the database so that racing retries on two nodes give one
        # row. NULLs are distinct in SQL, so the first pair binds users (guest_name is NULL)
        # and the second binds guests (author is NULL); no client_id means no dedup.
        unique_together = (("room", "author", "client_id"), ("room", "guest_name", "client_id"))
        indexes = (("room_id", "id"),)

    def __str__(self) -> str:
        return f"#{self.id} in {self.room_id}"


# Who acts: a user (id, staff flag) or a guest (user_id None, signing with its name).
Caller = Identity


# --- shapes ------------------------------------------------------------------------------


def room_dict(room: Room) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name, "kind": RoomKind(room.kind).value}


def author_brief(message: Message) -> dict[str, Any]:
    known = message.__dict__.get("_author_brief")
    if known is not None:
        return known
    if message.author_id is not None:
        return brief_user(message.author)
    return {"id": None, "name": message.guest_name or "deleted user", "is_staff": False}


def message_dict(message: Message, slug: str) -> dict[str, Any]:
    """Needs `message.author` fetched when it has one (the services select it)."""
    return {
        "id": message.id,
        "room": slug,
        "author": author_brief(message),
        "body": message.body,
        "created_at": iso(message.created_at),
        "client_id": message.client_id,
    }


# --- payloads ----------------------------------------------------------------------------


class RoomRef(Payload):
    room: str = Field(min_length=1, max_length=64)


class NewMessageBody(Payload):
    body: str = Field(max_length=100_000)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > BODY_MAX:
            raise ValueError(f"at most {BODY_MAX} characters after trimming")
        return value


class NewMessage(NewMessageBody, RoomRef):
    pass


class HistoryQuery(Payload):
    before_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=HISTORY_DEFAULT, ge=1)

    @field_validator("limit")
    @classmethod
    def _clamp(cls, value: int) -> int:
        # The contract clamps rather than refuses a large limit.
        return min(value, HISTORY_MAX)


class History(HistoryQuery, RoomRef):
    pass


class NewRoom(Payload):
    slug: str = Field(max_length=64)
    name: str = Field(max_length=100)
    kind: KindName

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.fullmatch(value):
            raise ValueError("1-64 lowercase letters, digits and inner hyphens")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class NewMember(Payload):
    user_id: int


# --- rooms -------------------------------------------------------------------------------


async def ensure_default_rooms() -> None:
    """Create `general` and `management` if missing; safe to run on every node at once."""
    for slug, name, kind in DEFAULT_ROOMS:
        if await Room.filter(slug=slug).exists():
            continue
        with contextlib.suppress(IntegrityError):  # another node made it first
            await Room.create(slug=slug, name=name, kind=kind)


async def can_enter(room: Room, caller: Caller) -> bool:
    kind = RoomKind(room.kind)
    if kind is RoomKind.PUBLIC:
        return True
    if caller.is_guest:
        return False
    if caller.is_staff:
        return True
    if kind is RoomKind.STAFF:
        return False
    return await RoomMember.filter(room_id=room.id, user_id=caller.user_id).exists()


# slug -> Room, per process and per database (forgotten when a database is opened). Rooms are
# never renamed, retyped or deleted, so a room once found stays right; a slug not found is
# not remembered (another node may create it a moment later).
_rooms: dict[str, Room] = remembered({})


async def find_room(slug: str) -> Room:
    room = _rooms.get(slug)
    if room is not None:
        return room
    room = await Room.get_or_none(slug=slug)
    if room is None:
        raise NotFound("room")
    if len(_rooms) >= ROOM_CACHE_MAX:
        _rooms.clear()
    _rooms[slug] = room
    return room


async def get_room(*, slug: str, caller: Caller) -> Room:
    """A room the caller may enter; slugs are not secret, so a closed room is `forbidden`."""
    room = await find_room(slug)
    if not await can_enter(room, caller):
        reason = "staff only" if room.kind == RoomKind.STAFF else "members only"
        raise Forbidden(f"room {slug!r} is {reason}", fields={"room": reason})
    return room


async def list_rooms(*, caller: Caller) -> list[Room]:
    """The rooms the caller may enter, by slug."""
    rooms = await Room.all().order_by("slug")
    if caller.is_staff:
        return rooms
    member_of = set(
        await RoomMember.filter(user_id=caller.user_id).values_list("room_id", flat=True)
    )
    return [
        room
        for room in rooms
        if room.kind == RoomKind.PUBLIC or (room.kind == RoomKind.PRIVATE and room.id in member_of)
    ]


async def create_room(*, slug: str, name: str, kind: str, caller: Caller) -> Room:
    if caller.is_guest:
        raise Forbidden("guests cannot create rooms")
    if kind == RoomKind.STAFF and not caller.is_staff:
        raise Forbidden("only staff create staff rooms", fields={"kind": "staff only"})
    try:
        # One transaction: a room never exists without its creator as a member.
        async with in_transaction():
            room = await Room.create(
                slug=slug, name=name, kind=RoomKind(kind), created_by_id=caller.user_id
            )
            await RoomMember.create(room_id=room.id, user_id=caller.user_id)
    except IntegrityError:
        raise Conflict("room slug taken", fields={"slug": "already exists"}) from None
    return room


async def add_member(*, slug: str, user_id: int, caller: Caller) -> tuple[User, bool]:
    """Add a member (the room's creator or staff); the flag says whether it is new."""
    room = await get_room(slug=slug, caller=caller)
    if not caller.is_staff and room.created_by_id != caller.user_id:
        raise Forbidden("only the room's creator or staff add members")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("user")
    try:
        _, created = await RoomMember.get_or_create(room_id=room.id, user_id=user.id)
    except IntegrityError:
        created = False  # a racing add of the same member
    return user, created


async def list_members(*, slug: str, caller: Caller) -> list[User]:
    room = await get_room(slug=slug, caller=caller)
    rows = await RoomMember.filter(room_id=room.id).select_related("user").order_by("user_id")
    return [row.user for row in rows]
