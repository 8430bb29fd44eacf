"""The shapes Roomcast answers with, as pydantic models: the OpenAPI and AsyncAPI documents
describe responses and server events with them, and tests/docs checks real answers against
them (extra keys are refused there), so a change to a `*_dict` function that forgets these
fails a test instead of silently making the documents wrong.

The request side needs nothing here: the documents use the very models that validate
incoming bodies and payloads (models/*.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from models.alerts import SeverityName
from models.billing import InvoiceStatusName, SubscriptionStatusName
from models.chat import KindName
from models.checkins import MembershipName, PresenceName

Time = str  # ISO 8601 in UTC with a Z, e.g. 2026-11-22T17:00:00.123Z


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Shape):
    code: Literal[
        "bad_request",
        "unauthorized",
        "token_expired",
        "token_revoked",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "conflict",
        "validation_error",
        "payload_too_large",
        "rate_limited",
        "internal_error",
    ]
    message: str = Field(description="human readable")
    fields: dict[str, object] = Field(
        description="field name -> what is wrong with it ({} when nothing to name); a "
        "stale-version conflict carries the current object in `current`"
    )


class ErrorBody(Shape):
    """Every REST error, whatever the status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "invalid email",
                        "fields": {"email": "value is not a valid email address"},
                    }
                }
            ]
        }
    )
    error: ErrorDetail


class User(Shape):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "email": "alice@example.com",
                    "first_name": "Alice",
                    "last_name": "Example",
                    "is_staff": False,
                    "is_active": True,
                }
            ]
        }
    )
    id: int
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_active: bool


class Me(Shape):
    user: User


class Tokens(Shape):
    user: User
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="access token lifetime, seconds")


class WsToken(Shape):
    ws_token: str = Field(description="good for ONE socket connection")
    expires_in: int


class BriefUser(Shape):
    """A chat author or a present user; `id` null for a guest."""

    id: int | None
    name: str
    is_staff: bool


class Alert(Shape):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "user_id": 2,
                    "breach_id": "paste-2026-11",
                    "title": "Password found in a paste",
                    "severity": "HIGH",
                    "confidence": 0.9,
                    "detected_at": "2026-11-22T17:00:00.123Z",
                    "read": False,
                    "read_at": None,
                }
            ]
        }
    )
    id: int
    user_id: int
    breach_id: str
    title: str
    severity: SeverityName
    confidence: float
    detected_at: Time
    read: bool
    read_at: Time | None


class Subscription(Shape):
    id: int
    user_id: int
    plan: str
    status: SubscriptionStatusName
    price_cents: int
    currency: str
    current_period_start: Time | None
    current_period_end: Time | None
    created_at: Time


class Invoice(Shape):
    id: int
    user_id: int
    subscription_id: int
    amount_cents: int
    currency: str
    status: InvoiceStatusName
    due_date: str = Field(description="YYYY-MM-DD")
    paid_at: Time | None
    created_at: Time


class Stats(Shape):
    """/analytics `stats` and `global_stats`."""

    active_subscriptions: int
    total_invoices: int
    paid_invoices: int
    pending_invoices: int
    overdue_invoices: int
    revenue_paid_cents: int
    as_of: Time


class Zone(Shape):
    id: int
    name: str
    owner_id: int
    created_at: Time


class Record(Shape):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "zone_id": 1,
                    "type": "A",
                    "name": "www",
                    "content": "192.0.2.10",
                    "ttl": 3600,
                    "priority": None,
                    "service": None,
                    "version": 2,
                    "updated_at": "2026-11-22T17:00:00.123Z",
                }
            ]
        }
    )
    id: int
    zone_id: int
    type: str
    name: str
    content: str
    ttl: int
    priority: int | None
    service: str | None
    version: int = Field(description="starts at 1; send it back with an update")
    updated_at: Time | None


class AuditEntry(Shape):
    id: int
    zone_id: int
    record_id: int | None
    actor_id: int | None
    action: str
    before: dict | None
    after: dict | None
    at: Time


class ImportResult(Shape):
    mode: Literal["merge", "replace"]
    added: int
    removed: int
    unchanged: int
    records: list[Record]


class Room(Shape):
    slug: str
    name: str
    kind: KindName


class Message(Shape):
    id: int
    room: str = Field(description="the room's slug")
    author: BriefUser
    body: str
    created_at: Time
    client_id: str | None


class RoomMember(Shape):
    room: str
    user: BriefUser


class Member(Shape):
    id: int
    name: str
    membership_status: MembershipName
    user_id: int | None
    status: PresenceName


class Checkin(Shape):
    id: int
    member_id: int
    checked_in_at: Time
    checked_out_at: Time | None


class CheckinStats(Shape):
    checked_in_now: int
    checkins_today: int = Field(description="counted in UTC")
    as_of: Time


class Health(Shape):
    status: Literal["ok"]


class Ready(Shape):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str]


def items_of(model: type[BaseModel]) -> type[BaseModel]:
    """`{"items": [model]}`, the shape of every list answer, named `<Model>List`."""
    return create_model(f"{model.__name__}List", __base__=Shape, items=(list[model], ...))  # type: ignore[call-overload]


AlertList = items_of(Alert)
SubscriptionList = items_of(Subscription)
InvoiceList = items_of(Invoice)
ZoneList = items_of(Zone)
RecordList = items_of(Record)
AuditList = items_of(AuditEntry)
RoomList = items_of(Room)
MessageList = items_of(Message)
BriefUserList = items_of(BriefUser)
MemberList = items_of(Member)
CheckinList = items_of(Checkin)
UserList = items_of(User)
