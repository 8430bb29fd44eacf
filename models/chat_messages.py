"""Chat messages: the room history and posting (one INSERT per message, group-committed).

The rooms, the models and the access rule are in models.chat; the caller of `post_message`
must already be allowed in the room (the door checks it: the socket's join or REST).
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from core.identity import Identity
from models.chat import HISTORY_DEFAULT, HISTORY_MAX, Message, Room
from models.group_commit import GroupCommit
from models.statements import Statement, rows
from models.users import display_name

Caller = Identity

# Every join answers the room's last messages with their authors: one hand-written statement
# (models.statements) instead of the ORM's select_related, which built the query and two
# models per row anew.
_HISTORY_SQL = (
    'SELECT m.*, u."first_name" AS "a_first", u."last_name" AS "a_last",'
    ' u."email" AS "a_email", u."is_staff" AS "a_staff"'
    ' FROM "chat_messages" m LEFT JOIN "users" u ON u."id" = m."author_id"'
    ' WHERE m."room_id" = ? {before} ORDER BY m."id" DESC LIMIT ?'
)
_HISTORY = Statement(_HISTORY_SQL.format(before=""))
_HISTORY_BEFORE = Statement(_HISTORY_SQL.format(before='AND m."id" < ?'))


def _message_of(row: Any) -> Message:
    fields = dict(row)
    message = Message._init_from_db(**fields)
    if message.author_id is not None:
        brief = {
            "id": message.author_id,
            "name": display_name(fields["a_first"], fields["a_last"], fields["a_email"]),
            "is_staff": bool(fields["a_staff"]),
        }
        object.__setattr__(message, "_author_brief", brief)
    return message


async def history(
    *, room: Room, before_id: int | None = None, limit: int = HISTORY_DEFAULT
) -> list[Message]:
    """The newest `limit` messages (before `before_id` if given), oldest first."""
    limit = min(limit, HISTORY_MAX)
    if before_id is None:
        found = await rows(_HISTORY, room.id, limit)
    else:
        found = await rows(_HISTORY_BEFORE, room.id, before_id, limit)
    return [_message_of(row) for row in reversed(found)]


async def _stored(room: Room, caller: Caller, client_id: str) -> Message | None:
    query = Message.filter(room_id=room.id, client_id=client_id)
    if caller.is_guest:
        query = query.filter(author_id__isnull=True, guest_name=caller.guest_name)
    else:
        query = query.filter(author_id=caller.user_id)
    return await query.select_related("author").first()


_messages = GroupCommit("chat messages")


async def post_message(
    *, room: Room, caller: Caller, body: str, client_id: str | None = None
) -> tuple[Message, bool]:
    """Store a message; the flag is False when `client_id` names one already stored (a retry).

    The caller must be allowed in the room (checked by the door: the socket's join or REST).
    One statement when the caller's brief is known: the INSERT (messages arriving while one
    commits share the next commit: models.group_commit). A retry is told by the unique
    (room, author, client_id) constraint refusing it, on any node, and only then is the
    stored message read.
    """
    values = {
        "room_id": room.id,
        "author_id": caller.user_id,
        "guest_name": caller.guest_name if caller.is_guest else None,
        "body": body,
        "client_id": client_id,
    }
    try:
        message = await _messages.run(lambda: Message.create(**values))
    except IntegrityError:
        existing = await _stored(room, caller, client_id) if client_id is not None else None
        if existing is None:
            raise
        return existing, False
    if not caller.is_guest:  # the session knows the author's brief: no read of the user
        object.__setattr__(message, "_author_brief", caller.brief())
    return message, True
