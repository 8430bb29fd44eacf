"""Small helpers shared by the domain modules: time stamps and payload schema base."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z and milliseconds, as the wire contract writes times."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Payload(BaseModel):
    """Base of every incoming payload: unknown keys ignored, strict types, no coercion of str."""

    model_config = ConfigDict(extra="ignore", strict=True, str_max_length=100_000)
