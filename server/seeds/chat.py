"""Demo data for chat (idempotent: skips what already exists).

Messages carry a fixed client_id per author, so the dedup constraint that makes socket retries
safe also makes a second seeding add nothing.
"""

from __future__ import annotations

from core.identity import Identity
from models.chat import Room, RoomKind, RoomMember, ensure_default_rooms
from models.chat_messages import post_message
from models.users import User

ADMIN, ALICE, BOB = "admin@example.com", "alice@example.com", "bob@example.com"

# (room slug, author email, client_id, body)
DEMO_MESSAGES = (
    ("general", ALICE, "demo-1", "Hello everyone! Alice here."),
    ("general", BOB, "demo-1", "Hi Alice, welcome to Roomcast."),
    ("general", ADMIN, "demo-1", "Staff here: ask in this room if anything breaks."),
    ("management", ADMIN, "demo-2", "Reminder: the invoice run is on Friday."),
    ("book-club", ALICE, "demo-3", "Next book: The Left Hand of Darkness?"),
    ("book-club", BOB, "demo-3", "Yes, <b>please</b> (this stays text, not HTML)."),
)


async def _private_room(users: dict[str, User]) -> None:
    """A private room made by Alice, with Bob added: shows membership at work."""
    alice, bob = users.get(ALICE), users.get(BOB)
    if alice is None or bob is None:
        return
    room, _ = await Room.get_or_create(
        slug="book-club",
        defaults={"name": "Book club", "kind": RoomKind.PRIVATE, "created_by_id": alice.id},
    )
    for user in (alice, bob):
        await RoomMember.get_or_create(room_id=room.id, user_id=user.id)


async def seed(users: dict[str, User]) -> None:
    """`users` maps the demo emails (server.demo.DEMO_USERS) to their User rows."""
    await ensure_default_rooms()
    await _private_room(users)
    rooms = {room.slug: room for room in await Room.all()}
    for slug, email, client_id, body in DEMO_MESSAGES:
        author, room = users.get(email), rooms.get(slug)
        if author is None or room is None:
            continue
        caller = Identity.from_user(author)
        await post_message(room=room, caller=caller, body=body, client_id=client_id)
