"""Subscriptions and invoices (the /analytics figures): models, shapes, payloads, figures.

The services that change them are models.billing_services.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator
from tortoise import fields
from tortoise.functions import Count, Sum
from tortoise.models import Model

from models.common import Payload, iso, utcnow
from models.users import User

# Ids are 32-bit integers in the database; a bigger one names nothing (and would not bind).
MAX_ID = 2**31 - 1
# Ten billion in any currency: far above any real price, far below 2**53 (safe in JavaScript).
MAX_CENTS = 10**12
DEFAULT_PERIOD = timedelta(days=30)


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    TRIALING = "trialing"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    OVERDUE = "overdue"


class Subscription(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="subscriptions", on_delete=fields.CASCADE
    )
    user_id: int
    plan = fields.CharField(max_length=64)
    status = fields.CharEnumField(SubscriptionStatus, max_length=16)
    price_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="USD")
    current_period_start = fields.DatetimeField()
    current_period_end = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    invoices: fields.ReverseRelation[Invoice]

    class Meta:
        table = "subscriptions"
        indexes = (("user_id", "status"),)

    def __str__(self) -> str:
        return f"{self.plan} ({self.status})"


class Invoice(Model):
    id = fields.IntField(primary_key=True)
    # Denormalised from the subscription so that per-user figures are one indexed aggregate.
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invoices", on_delete=fields.CASCADE
    )
    user_id: int
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="invoices", on_delete=fields.CASCADE
    )
    subscription_id: int
    amount_cents = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="USD")
    status = fields.CharEnumField(InvoiceStatus, max_length=16)
    due_date = fields.DateField()
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invoices"
        indexes = (("user_id", "status"),)

    def __str__(self) -> str:
        return f"invoice {self.id} ({self.status})"


def subscription_dict(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "user_id": sub.user_id,
        "plan": sub.plan,
        "status": SubscriptionStatus(sub.status).value,
        "price_cents": sub.price_cents,
        "currency": sub.currency,
        "current_period_start": iso(sub.current_period_start),
        "current_period_end": iso(sub.current_period_end),
        "created_at": iso(sub.created_at),
    }


def invoice_dict(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "user_id": invoice.user_id,
        "subscription_id": invoice.subscription_id,
        "amount_cents": invoice.amount_cents,
        "currency": invoice.currency,
        "status": InvoiceStatus(invoice.status).value,
        "due_date": invoice.due_date.isoformat(),
        "paid_at": iso(invoice.paid_at),
        "created_at": iso(invoice.created_at),
    }


# --- payloads ------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    # Dates travel as ISO 8601 text; lax parsing alone would also take numbers as timestamps.
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 string")
    return value


def _currency(value: Any) -> Any:
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise ValueError("expected a 3-letter currency code such as USD")
    return value.upper()


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Currency = Annotated[str, BeforeValidator(_currency)]
Moment = Annotated[datetime, Field(strict=False), BeforeValidator(_text)]
Day = Annotated[date, Field(strict=False), BeforeValidator(_text)]
Plan = Annotated[str, Field(min_length=1, max_length=64)]
SubscriptionStatusName = Literal["active", "trialing", "past_due", "canceled"]
InvoiceStatusName = Literal["pending", "paid", "overdue"]


class _PlanText(Payload):
    @field_validator("plan", check_fields=False)
    @classmethod
    def _plan_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class NewSubscription(_PlanText):
    plan: Plan
    status: SubscriptionStatusName
    price_cents: Cents
    currency: Currency = "USD"
    current_period_start: Moment | None = None
    current_period_end: Moment | None = None
    # Staff may open a subscription for someone else; a user only for themselves.
    user_id: Id | None = None


# Changes: every field optional, none nullable. A default of None is never validated, an
# explicit null is (and refused by the field's type), so "absent" and "null" stay distinct.
class SubscriptionChange(_PlanText):
    plan: Plan = None  # type: ignore[assignment]
    status: SubscriptionStatusName = None  # type: ignore[assignment]
    price_cents: Cents = None  # type: ignore[assignment]
    currency: Currency = None  # type: ignore[assignment]
    current_period_start: Moment = None  # type: ignore[assignment]
    current_period_end: Moment = None  # type: ignore[assignment]


class NewInvoice(Payload):
    subscription_id: Id
    amount_cents: Cents
    status: InvoiceStatusName
    due_date: Day
    currency: Currency | None = None  # the subscription's when absent


class InvoiceChange(Payload):
    amount_cents: Cents = None  # type: ignore[assignment]
    status: InvoiceStatusName = None  # type: ignore[assignment]
    due_date: Day = None  # type: ignore[assignment]


class PayInvoice(Payload):
    invoice_id: Id


class ListQuery(Payload):
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    user_id: Id | None = None  # staff only: one user's objects


class ListSubscriptions(ListQuery):
    status: SubscriptionStatusName | None = None


class ListInvoices(ListQuery):
    status: InvoiceStatusName | None = None
    subscription_id: Id | None = None


# --- figures ---------------------------------------------------------------------------------


async def stats_for(*, user_id: int | None = None) -> dict[str, Any]:
    """The /analytics figures of one user, or of everyone (None), from two aggregate queries."""
    subs = Subscription.filter(status=SubscriptionStatus.ACTIVE)
    invoices = Invoice.all()
    if user_id is not None:
        subs, invoices = subs.filter(user_id=user_id), invoices.filter(user_id=user_id)
    active = await subs.count()
    rows = (
        await invoices.annotate(n=Count("id"), cents=Sum("amount_cents"))
        .group_by("status")
        .values("status", "n", "cents")
    )
    counts = {InvoiceStatus(row["status"]).value: int(row["n"]) for row in rows}
    # SUM(bigint) is numeric (a Decimal) on PostgreSQL: back to an int.
    paid_cents = sum(int(row["cents"] or 0) for row in rows if row["status"] == "paid")
    return {
        "active_subscriptions": active,
        "total_invoices": sum(counts.values()),
        "paid_invoices": counts.get("paid", 0),
        "pending_invoices": counts.get("pending", 0),
        "overdue_invoices": counts.get("overdue", 0),
        "revenue_paid_cents": paid_cents,
        "as_of": iso(utcnow()),
    }
