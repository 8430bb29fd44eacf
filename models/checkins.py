"""Gym members and check-ins: models, public shapes, payload schemas, the staff board.

The services that change them (and the in/out transition) are models.checkins_services.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from tortoise import fields
from tortoise.models import Model

from models.common import Payload, iso, utcnow
from models.users import User

# Ids are PostgreSQL `integer`s: anything larger can name no row, and must not reach SQL.
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
MembershipName = Literal["active", "frozen", "expired"]
PresenceName = Literal["in", "out"]


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    EXPIRED = "expired"


class Presence(StrEnum):
    IN = "in"
    OUT = "out"


class Member(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    membership_status = fields.CharEnumField(MembershipStatus, max_length=8)
    # The user account the member may act as (check in/out themselves); null = none.
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    user_id: int | None
    status = fields.CharEnumField(Presence, max_length=3, default=Presence.OUT)
    created_at = fields.DatetimeField(auto_now_add=True)

    checkins: fields.ReverseRelation[Checkin]

    class Meta:
        table = "members"
        indexes = (("status",),)

    def __str__(self) -> str:
        return self.name


class Checkin(Model):
    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="checkins", on_delete=fields.CASCADE
    )
    member_id: int
    checked_in_at = fields.DatetimeField()
    checked_out_at = fields.DatetimeField(null=True)

    class Meta:
        table = "checkins"
        indexes = (("member_id", "checked_out_at"), ("checked_in_at",))

    def __str__(self) -> str:
        return f"check-in {self.id} of member {self.member_id}"


def member_dict(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "membership_status": MembershipStatus(member.membership_status).value,
        "user_id": member.user_id,
        "status": Presence(member.status).value,
    }


def checkin_dict(checkin: Checkin) -> dict[str, Any]:
    return {
        "id": checkin.id,
        "member_id": checkin.member_id,
        "checked_in_at": iso(checkin.checked_in_at),
        "checked_out_at": iso(checkin.checked_out_at),
    }


# --- schemas ---------------------------------------------------------------------------


class _Named(Payload):
    @field_validator("name", check_fields=False)
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str:
        # Runs only on a value the client sent: an explicit null is refused, not ignored.
        if value is None:
            raise ValueError("must not be null")
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class NewMember(_Named):
    name: str = Field(min_length=1, max_length=200)
    membership_status: MembershipName
    user_id: Id | None = None


class MemberChange(_Named):
    """A PATCH: only the keys present change; `user_id: null` unlinks the member."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    membership_status: MembershipName | None = None
    user_id: Id | None = None

    @field_validator("membership_status")
    @classmethod
    def _status_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


class MemberRef(Payload):
    member_id: Id


class ListMembers(Payload):
    membership_status: MembershipName | None = None
    status: PresenceName | None = None
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ListCheckins(Payload):
    member_id: Id | None = None
    open_only: bool = False
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)


# --- figures ---------------------------------------------------------------------------


async def stats() -> dict[str, Any]:
    """The staff board: members inside now and check-ins opened since midnight UTC."""
    now = utcnow()
    midnight = utc_midnight(now)
    inside = await Checkin.filter(checked_out_at__isnull=True).count()
    today = await Checkin.filter(
        checked_in_at__gte=midnight, checked_in_at__lt=midnight + timedelta(days=1)
    ).count()
    return {"checked_in_now": inside, "checkins_today": today, "as_of": iso(now)}


def utc_midnight(moment: datetime) -> datetime:
    """The start of the UTC day of `moment` (an aware UTC time)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
