"""Subscription and invoice services: keyword-only, knowing nothing of sockets or HTTP.

Every service takes `user_id` as the caller's scope (core.identity.Identity.scope): an int
means "only this user's objects" (someone else's is not found), None means "anyone's" (staff).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.errors import Conflict, Invalid, NotFound
from models.billing import (
    DEFAULT_PERIOD,
    MAX_ID,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
    as_utc,
)
from models.common import utcnow
from models.users import User

# --- subscriptions ---------------------------------------------------------------------------


def _check_period(start: datetime, end: datetime) -> None:
    if as_utc(end) <= as_utc(start):
        raise Invalid(
            "the period ends before it starts",
            fields={"current_period_end": "must be after current_period_start"},
        )


async def create_subscription(
    *,
    user_id: int,
    plan: str,
    status: str,
    price_cents: int,
    currency: str = "USD",
    current_period_start: datetime | None = None,
    current_period_end: datetime | None = None,
) -> Subscription:
    if not await User.filter(id=user_id).exists():
        raise NotFound("user")
    start = as_utc(current_period_start) if current_period_start else utcnow()
    end = as_utc(current_period_end) if current_period_end else start + DEFAULT_PERIOD
    _check_period(start, end)
    return await Subscription.create(
        user_id=user_id,
        plan=plan,
        status=SubscriptionStatus(status),
        price_cents=price_cents,
        currency=currency,
        current_period_start=start,
        current_period_end=end,
    )


async def list_subscriptions(
    *, user_id: int | None = None, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[Subscription]:
    """Newest first; `user_id` None lists everyone's (staff)."""
    query = Subscription.all()
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if status is not None:
        query = query.filter(status=status)
    return await query.order_by("-id").offset(offset).limit(limit)


async def get_subscription(*, subscription_id: int, user_id: int | None = None) -> Subscription:
    if not 0 < subscription_id <= MAX_ID:
        raise NotFound("subscription")
    query = Subscription.filter(id=subscription_id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    sub = await query.first()
    if sub is None:
        raise NotFound("subscription")
    return sub


async def update_subscription(
    *, subscription_id: int, changes: dict[str, Any], user_id: int | None = None
) -> tuple[Subscription, bool]:
    """Apply the given fields; the flag says whether anything was given to change."""
    sub = await get_subscription(subscription_id=subscription_id, user_id=user_id)
    if not changes:
        return sub, False
    _check_period(
        changes.get("current_period_start", sub.current_period_start),
        changes.get("current_period_end", sub.current_period_end),
    )
    if "status" in changes:
        changes["status"] = SubscriptionStatus(changes["status"])
    for key, value in changes.items():
        setattr(sub, key, value)
    await sub.save(update_fields=list(changes))
    return sub, True


async def delete_subscription(*, subscription_id: int, user_id: int | None = None) -> Subscription:
    """Delete a subscription and, with it, its invoices (the foreign key cascades)."""
    sub = await get_subscription(subscription_id=subscription_id, user_id=user_id)
    await sub.delete()
    return sub


# --- invoices --------------------------------------------------------------------------------


async def create_invoice(
    *,
    subscription_id: int,
    amount_cents: int,
    status: str,
    due_date: date,
    currency: str | None = None,
    user_id: int | None = None,
) -> Invoice:
    """An invoice on a subscription the caller may see; it belongs to the subscription's user."""
    sub = await get_subscription(subscription_id=subscription_id, user_id=user_id)
    if currency is not None and currency != sub.currency:
        raise Invalid(
            "currency differs from the subscription's",
            fields={"currency": f"must be the subscription's currency {sub.currency}"},
        )
    state = InvoiceStatus(status)
    return await Invoice.create(
        user_id=sub.user_id,
        subscription_id=sub.id,
        amount_cents=amount_cents,
        currency=sub.currency,
        status=state,
        due_date=due_date,
        paid_at=utcnow() if state is InvoiceStatus.PAID else None,
    )


async def list_invoices(
    *,
    user_id: int | None = None,
    status: str | None = None,
    subscription_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Invoice]:
    """Newest first; `user_id` None lists everyone's (staff)."""
    query = Invoice.all()
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if status is not None:
        query = query.filter(status=status)
    if subscription_id is not None:
        query = query.filter(subscription_id=subscription_id)
    return await query.order_by("-id").offset(offset).limit(limit)


async def get_invoice(*, invoice_id: int, user_id: int | None = None) -> Invoice:
    if not 0 < invoice_id <= MAX_ID:
        raise NotFound("invoice")
    query = Invoice.filter(id=invoice_id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    invoice = await query.first()
    if invoice is None:
        raise NotFound("invoice")
    return invoice


async def update_invoice(
    *, invoice_id: int, changes: dict[str, Any], user_id: int | None = None
) -> tuple[Invoice, bool]:
    """Apply the given fields; paid_at follows the status (set on paid, cleared otherwise)."""
    invoice = await get_invoice(invoice_id=invoice_id, user_id=user_id)
    if not changes:
        return invoice, False
    if "status" in changes:
        state = InvoiceStatus(changes["status"])
        changes["status"] = state
        if state is InvoiceStatus.PAID and invoice.status != InvoiceStatus.PAID:
            changes["paid_at"] = utcnow()
        elif state is not InvoiceStatus.PAID:
            changes["paid_at"] = None
    for key, value in changes.items():
        setattr(invoice, key, value)
    await invoice.save(update_fields=list(changes))
    return invoice, True


async def delete_invoice(*, invoice_id: int, user_id: int | None = None) -> Invoice:
    invoice = await get_invoice(invoice_id=invoice_id, user_id=user_id)
    await invoice.delete()
    return invoice


async def pay_invoice(*, invoice_id: int, user_id: int | None = None) -> Invoice:
    """Mark an invoice paid; an invoice already paid is a conflict (exactly one payer wins)."""
    invoice = await get_invoice(invoice_id=invoice_id, user_id=user_id)
    # Conditional UPDATE: of two racing payments, on any nodes, only one changes the row.
    changed = (
        await Invoice.filter(id=invoice.id)
        .exclude(status=InvoiceStatus.PAID)
        .update(status=InvoiceStatus.PAID, paid_at=utcnow())
    )
    if not changed:
        raise Conflict("invoice already paid", fields={"status": "already paid"})
    await invoice.refresh_from_db(fields=["status", "paid_at"])
    return invoice
