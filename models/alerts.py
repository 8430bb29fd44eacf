"""Alerts: breach alerts addressed to one user, their public shape, and the read/unread services."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator
from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from core.errors import NotFound
from models.common import Payload, iso, utcnow
from models.group_commit import GroupCommit
from models.statements import GroupRead
from models.users import User

SeverityName = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Alert(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="alerts", on_delete=fields.CASCADE
    )
    user_id: int
    breach_id = fields.CharField(max_length=128)
    title = fields.CharField(max_length=200)
    severity = fields.CharEnumField(Severity, max_length=8)
    confidence = fields.FloatField()
    detected_at = fields.DatetimeField()
    read = fields.BooleanField(default=False)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alerts"
        indexes = (("user_id", "read"),)

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "user_id": alert.user_id,
        "breach_id": alert.breach_id,
        "title": alert.title,
        "severity": Severity(alert.severity).value,
        "confidence": alert.confidence,
        "detected_at": iso(alert.detected_at),
        "read": alert.read,
        "read_at": iso(alert.read_at),
    }


class NewAlert(Payload):
    user_id: int
    breach_id: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=200)
    severity: SeverityName
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    # Lax here only: an ISO 8601 string is the one way JSON can carry a time.
    detected_at: datetime | None = Field(default=None, strict=False)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("detected_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class ListAlerts(Payload):
    unread_only: bool = False
    limit: int = Field(default=50, ge=1, le=100)


class MarkRead(Payload):
    alert_id: int


_alerts = GroupCommit("alerts")


async def create_alert(
    *,
    user_id: int,
    breach_id: str,
    title: str,
    severity: str,
    confidence: float,
    detected_at: datetime | None = None,
) -> Alert:
    """One statement: the INSERT; the foreign key refuses an unknown user (no look-up first)."""
    values = {
        "user_id": user_id,
        "breach_id": breach_id,
        "title": title,
        "severity": Severity(severity),
        "confidence": confidence,
        "detected_at": detected_at or utcnow(),
    }
    try:
        # Alerts arriving while one commits share the next commit (models.group_commit).
        return await _alerts.run(lambda: Alert.create(**values))
    except IntegrityError:
        # The only constraint an alert row has besides NOT NULL (pydantic guards those).
        raise NotFound("user") from None


async def list_alerts(*, user_id: int, unread_only: bool = False, limit: int = 50) -> list[Alert]:
    """The user's alerts, newest first by detection time, then id."""
    query = Alert.filter(user_id=user_id)
    if unread_only:
        query = query.filter(read=False)
    return await query.order_by("-detected_at", "-id").limit(limit)


# Counted afresh every time (the (user_id, read) index answers it), never cached: alerts are
# inserted and marked read by every node and by the CLI, and a count read after one's own
# write always includes it. The counts asked for in one loop iteration (the callers of one
# group commit resume together) are read by one statement, started after every one of them
# asked: `... WHERE "user_id" IN (...) GROUP BY "user_id"`.
_UNREAD = GroupRead(
    'SELECT "user_id" AS "k", COUNT(*) AS "n" FROM "alerts"'
    ' WHERE "read" = ? AND "user_id" IN ({keys}) GROUP BY "user_id"',
    key="k",
    before=(False,),
)


async def unread_count(*, user_id: int) -> int:
    found = await _UNREAD.rows(user_id)
    return int(found[0]["n"]) if found else 0


async def get_alert(*, alert_id: int, user_id: int | None = None) -> Alert:
    """One alert; with a user_id, only that user's (someone else's is not found)."""
    query = Alert.filter(id=alert_id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    alert = await query.first()
    if alert is None:
        raise NotFound("alert")
    return alert


async def mark_read(*, alert_id: int, user_id: int | None = None) -> tuple[Alert, bool]:
    """Mark an alert read; the flag says whether this call changed it (False if already read)."""
    alert = await get_alert(alert_id=alert_id, user_id=user_id)
    # A conditional update, so that two racing calls cannot both report a change.
    changed = await Alert.filter(id=alert.id, read=False).update(read=True, read_at=utcnow()) > 0
    if changed:
        await alert.refresh_from_db(fields=["read", "read_at"])
    return alert, changed
