"""Billing use cases: subscriptions and invoices; every change moves the /analytics figures.

A change does not emit at once: it marks its user's figures stale in the process's
StatsCoalescer (server.broadcast.analytics), which sends fresh `stats` within a fraction of
a second, whichever door the change came through.
"""

from __future__ import annotations

from typing import Any

from actions.registry import Handles, action
from core.identity import Identity
from models import billing, billing_services
from models.billing import InvoiceChange, NewInvoice, NewSubscription, SubscriptionChange
from server.broadcast import analytics as broadcast


@action
async def create_subscription(rt: Handles, actor: Identity, new: NewSubscription) -> dict[str, Any]:
    fields = new.model_dump(exclude={"user_id"})
    sub = await billing_services.create_subscription(user_id=actor.owner_for(new.user_id), **fields)
    await broadcast.billing_changed(rt.analytics, sub.user_id)
    return billing.subscription_dict(sub)


@action
async def update_subscription(
    rt: Handles, actor: Identity, subscription_id: int, change: SubscriptionChange
) -> dict[str, Any]:
    sub, changed = await billing_services.update_subscription(
        subscription_id=subscription_id,
        changes=change.model_dump(exclude_unset=True),
        user_id=actor.scope,
    )
    if changed:
        await broadcast.billing_changed(rt.analytics, sub.user_id)
    return billing.subscription_dict(sub)


@action
async def delete_subscription(rt: Handles, actor: Identity, subscription_id: int) -> dict[str, Any]:
    sub = await billing_services.delete_subscription(
        subscription_id=subscription_id, user_id=actor.scope
    )
    await broadcast.billing_changed(rt.analytics, sub.user_id)
    return billing.subscription_dict(sub)


@action
async def create_invoice(rt: Handles, actor: Identity, new: NewInvoice) -> dict[str, Any]:
    invoice = await billing_services.create_invoice(**new.model_dump(), user_id=actor.scope)
    await broadcast.billing_changed(rt.analytics, invoice.user_id)
    return billing.invoice_dict(invoice)


@action
async def update_invoice(
    rt: Handles, actor: Identity, invoice_id: int, change: InvoiceChange
) -> dict[str, Any]:
    invoice, changed = await billing_services.update_invoice(
        invoice_id=invoice_id, changes=change.model_dump(exclude_unset=True), user_id=actor.scope
    )
    if changed:
        await broadcast.billing_changed(rt.analytics, invoice.user_id)
    return billing.invoice_dict(invoice)


@action
async def delete_invoice(rt: Handles, actor: Identity, invoice_id: int) -> dict[str, Any]:
    invoice = await billing_services.delete_invoice(invoice_id=invoice_id, user_id=actor.scope)
    await broadcast.billing_changed(rt.analytics, invoice.user_id)
    return billing.invoice_dict(invoice)


@action
async def pay_invoice(rt: Handles, actor: Identity, invoice_id: int) -> dict[str, Any]:
    invoice = await billing_services.pay_invoice(invoice_id=invoice_id, user_id=actor.scope)
    await broadcast.billing_changed(rt.analytics, invoice.user_id)
    return billing.invoice_dict(invoice)
