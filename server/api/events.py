"""The Socket.IO half of the contract as data: every namespace's client events (payload model,
ack data, the error codes it may answer) and server events (payload model).

server.api.asyncapi turns this into the AsyncAPI 3 document; tests/docs checks that every
`on_<event>` handler of every namespace is listed here. Client payloads are the models the
handlers validate with (models/*.py); answers reuse server.api.schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, RootModel

from models.alerts import ListAlerts, MarkRead
from models.billing import NewInvoice, NewSubscription, PayInvoice
from models.chat import History, NewMessage, RoomRef
from models.checkins import ListMembers, MemberRef
from models.dns import NewRecord, RecordRef, UpdateRecord, ZoneRef
from namespaces.base import RefreshToken
from server.api.schemas import (
    Alert,
    BriefUser,
    Checkin,
    CheckinStats,
    Invoice,
    Member,
    Message,
    Record,
    Room,
    Shape,
    Stats,
    Subscription,
    Time,
    Zone,
)


class Ping(BaseModel):
    timestamp: object = Field(default=None, description="anything; echoed back")


class Pong(Shape):
    timestamp: object
    server_time: Time


class ConnectionEstablished(Shape):
    namespace: str
    user_id: int | None = Field(description="null for a /chat guest")
    is_staff: bool
    message: str
    timestamp: Time


class TokenExpiring(Shape):
    expires_at: Time | None


class Refreshed(Shape):
    expires_at: Time | None


class UnreadCount(Shape):
    count: int


class BreachAlert(Shape):
    message: Alert = Field(description="the alert (the name is kept for older clients)")
    timestamp: Time


class AlertUpdate(Shape):
    alert_id: int
    update_type: Literal["marked_read"]
    timestamp: Time
    user_id: int


class Subscribed(Shape):
    subscribed: Literal[True]


class ZoneSnapshot(Shape):
    zone: Zone
    records: list[Record]


class Unsubscribed(Shape):
    zone_id: int
    subscribed: Literal[False]


class RecordChanged(Shape):
    zone_id: int
    record: Record


class RecordDeleted(Shape):
    zone_id: int
    id: int


class ZoneDeleted(Shape):
    zone_id: int


class Joined(Shape):
    room: Room
    history: list[Message] = Field(description="the last 50 messages, oldest first")
    present: list[BriefUser] = Field(description="includes the joiner; cluster-wide")


class Left(Shape):
    room: str


class PresenceChange(Shape):
    room: str
    user: BriefUser
    action: Literal["joined", "left"]


class Typing(Shape):
    room: str
    user: BriefUser


class CheckinMoved(Shape):
    checkin: Checkin
    member: Member


class MemberStatus(Shape):
    member_id: int
    status: Literal["in", "out"]


class ConnectError(Shape):
    """The `data` of a refused connect (the JS client's `err.data`)."""

    code: Literal[4001, 4003, 4029]
    reason: Literal[
        "missing_token",
        "invalid_token",
        "token_expired",
        "token_revoked",
        "user_inactive",
        "forbidden",
        "rate_limited",
        "too_many_connections",
    ]
    message: str


@dataclass(frozen=True)
class ClientEvent:
    summary: str
    payload: type[BaseModel] | None
    ack: type[BaseModel] | list | None
    errors: tuple[str, ...] = ()
    ack_list: bool = False  # the ack's data is a list of `ack`


@dataclass(frozen=True)
class ServerEvent:
    summary: str
    payload: type[BaseModel]
    to: str = ""


@dataclass(frozen=True)
class Namespace:
    path: str
    summary: str
    client: dict[str, ClientEvent] = field(default_factory=dict)
    server: dict[str, ServerEvent] = field(default_factory=dict)


class StreamPosition(BaseModel):
    """The last position seen of a stream (docs/recovery.md); no `o`: where it stands now."""

    o: int | None = Field(default=None, ge=0)
    e: str | None = None


class RecoverRequest(RootModel[dict[str, StreamPosition]]):
    """`{"user:2": {"o": 17, "e": "..."}}`: the streams to replay from, also `auth.recover`."""


class StreamOutcome(BaseModel):
    status: Literal["recovered", "gap", "current", "denied", "unavailable"]
    count: int | None = None
    o: int | None = None
    e: str | None = None
    oldest: int | None = None


class Recovery(BaseModel):
    streams: dict[str, StreamOutcome]
    error: dict | None = None


# Every client event can also answer these: a bad payload, too many events, a server fault.
COMMON_ERRORS = ("validation_error", "bad_request", "rate_limited", "internal_error")

COMMON_CLIENT = {
    "ping": ClientEvent("Round trip; the server also emits `pong`.", Ping, Pong),
    "recover": ClientEvent(
        "Replay what the socket's streams missed after the given positions, then ack the "
        "outcome per stream (docs/recovery.md).",
        RecoverRequest,
        Recovery,
    ),
    "refresh_token": ClientEvent(
        "Swap in a new access token of the same user and stay connected.",
        RefreshToken,
        Refreshed,
        ("unauthorized", "token_expired", "token_revoked", "forbidden"),
    ),
}
COMMON_SERVER = {
    "connection_established": ServerEvent(
        "The greeting, once the socket is connected.", ConnectionEstablished, "the socket"
    ),
    "pong": ServerEvent("Answer to `ping`.", Pong, "the socket"),
    "recovery": ServerEvent(
        "After `connection_established` (and any replay): the outcome per stream of "
        "`auth.recover`, and the starting position of the socket's own streams.",
        Recovery,
        "the socket",
    ),
    "token_expiring": ServerEvent(
        "30 s before the access token expires; send `refresh_token` to stay.",
        TokenExpiring,
        "the socket",
    ),
}

NAMESPACES = (
    Namespace(
        "/analytics",
        "Live billing figures; changes made here move `stats` exactly as REST changes do.",
        client={
            "refresh": ClientEvent("The caller's current figures.", None, Stats),
            "create_subscription": ClientEvent(
                "Open a subscription (staff: for `user_id`).",
                NewSubscription,
                Subscription,
                ("not_found",),
            ),
            "create_invoice": ClientEvent(
                "Add an invoice to a subscription.", NewInvoice, Invoice, ("not_found",)
            ),
            "pay_invoice": ClientEvent(
                "Mark an invoice paid.", PayInvoice, Invoice, ("not_found", "conflict")
            ),
        },
        server={
            "stats": ServerEvent(
                "The user's figures, after connecting and within ~0.3 s of any change.",
                Stats,
                "user:<id>",
            ),
            "global_stats": ServerEvent("Everyone's figures (staff).", Stats, "staff"),
        },
    ),
    Namespace(
        "/dns",
        "Live zone editor: subscribe to a zone, edit its records with optimistic versions.",
        client={
            "subscribe": ClientEvent(
                "Join `zone:<id>` and get the zone's records.",
                ZoneRef,
                ZoneSnapshot,
                ("not_found",),
            ),
            "unsubscribe": ClientEvent("Leave `zone:<id>`.", ZoneRef, Unsubscribed),
            "create_record": ClientEvent("Create a record.", NewRecord, Record, ("not_found",)),
            "update_record": ClientEvent(
                "Change a record; a stale `version` is a `conflict` with `error.fields.current`.",
                UpdateRecord,
                Record,
                ("not_found", "conflict"),
            ),
            "delete_record": ClientEvent("Delete a record.", RecordRef, Record, ("not_found",)),
        },
        server={
            "record_created": ServerEvent(
                "A record was created.", RecordChanged, "zone:<id>, staff"
            ),
            "record_updated": ServerEvent("A record changed.", RecordChanged, "zone:<id>, staff"),
            "record_deleted": ServerEvent(
                "A record was deleted.", RecordDeleted, "zone:<id>, staff"
            ),
            "zone_deleted": ServerEvent("The zone was deleted.", ZoneDeleted, "zone:<id>, staff"),
        },
    ),
    Namespace(
        "/chat",
        "Rooms, messages, typing and presence; the only namespace that admits guests.",
        client={
            "join": ClientEvent(
                "Enter a room: its history and who is there.",
                RoomRef,
                Joined,
                ("forbidden", "not_found"),
            ),
            "leave": ClientEvent("Leave a room (a no-op when not in it).", RoomRef, Left),
            "message": ClientEvent(
                "Post a message: stored, then broadcast and acked; a repeated `client_id` "
                "returns the stored one and broadcasts nothing.",
                NewMessage,
                Message,
                ("forbidden", "not_found"),
            ),
            "typing": ClientEvent("Tell the room you are typing (no ack).", RoomRef, None),
            "history": ClientEvent(
                "Older messages, oldest first.",
                History,
                Message,
                ("forbidden", "not_found"),
                ack_list=True,
            ),
        },
        server={
            "message": ServerEvent("A new message.", Message, "room:<slug>"),
            "presence": ServerEvent(
                "A user's first socket joined / last socket left.", PresenceChange, "room:<slug>"
            ),
            "typing": ServerEvent("Someone is typing.", Typing, "room:<slug> (not the sender)"),
        },
    ),
    Namespace(
        "/checkins",
        "Gym desk: members check in and out; staff watch the board.",
        client={
            "check_in": ClientEvent(
                "Check a member in.", MemberRef, Checkin, ("not_found", "conflict", "forbidden")
            ),
            "check_out": ClientEvent(
                "Check a member out.", MemberRef, Checkin, ("not_found", "conflict", "forbidden")
            ),
            "get_stats": ClientEvent("The board (staff).", None, CheckinStats, ("forbidden",)),
            "list_members": ClientEvent(
                "Members the caller may check in.", ListMembers, Member, ack_list=True
            ),
        },
        server={
            "stats": ServerEvent(
                "The board, on connect and after every change.", CheckinStats, "staff"
            ),
            "checkin": ServerEvent("A member checked in.", CheckinMoved, "staff"),
            "checkout": ServerEvent("A member checked out.", CheckinMoved, "staff"),
            "member_status": ServerEvent(
                "The linked user's member moved.", MemberStatus, "user:<id>"
            ),
        },
    ),
    Namespace(
        "/alerts",
        "A user's breach alerts and unread count; new alerts arrive from REST or the CLI.",
        client={
            "get_unread_count": ClientEvent("The unread count (also emitted).", None, UnreadCount),
            "list": ClientEvent("Alerts, newest first.", ListAlerts, Alert, ack_list=True),
            "mark_read": ClientEvent(
                "Mark an alert read; every tab hears `alert_update`.",
                MarkRead,
                Alert,
                ("not_found",),
            ),
            "subscribe_to_updates": ClientEvent("Kept for older clients.", None, Subscribed),
        },
        server={
            "unread_count": ServerEvent(
                "After connecting and after every change.", UnreadCount, "user:<id>"
            ),
            "breach_alert": ServerEvent("A new alert.", BreachAlert, "user:<id>, staff"),
            "alert_update": ServerEvent(
                "An alert was marked read.", AlertUpdate, "user:<id>, staff"
            ),
        },
    ),
)
