"""/api/v1/subscriptions and /api/v1/invoices: a user's billing; staff see everyone's.

Every change tells the /analytics coalescer, so fresh `stats` follow within a fraction of a
second, exactly as the same change made over a socket.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from models import billing
from models.billing import (
    InvoiceChange,
    ListInvoices,
    ListSubscriptions,
    NewInvoice,
    NewSubscription,
    SubscriptionChange,
)
from models.users import User
from server.api.openapi import doc
from server.api.schemas import Invoice, InvoiceList, Subscription, SubscriptionList
from server.broadcast import analytics as broadcast
from server.http import (
    authenticated,
    current_user,
    items,
    no_content,
    owner_scope,
    parse_body,
    parse_query,
    reply,
)

bp = Blueprint("billing")


def owner_for(user: User, wanted: int | None) -> int:
    return billing.owner_for(caller_id=user.id, is_staff=user.is_staff, wanted=wanted)


def list_scope(user: User, wanted: int | None) -> int | None:
    return owner_scope(user) if wanted is None else owner_for(user, wanted)


# --- subscriptions ---------------------------------------------------------------------------


@bp.get("/subscriptions")
@doc("billing", query=ListSubscriptions, ok=SubscriptionList, errors=(404,))
@authenticated
async def list_subscriptions(request: Request):
    """List subscriptions, newest first (`?status=&limit=&offset=`; staff: `&user_id=`)."""
    query = parse_query(request, ListSubscriptions)
    user = await current_user(request)
    rows = await billing.list_subscriptions(
        user_id=list_scope(user, query.user_id),
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    return items([billing.subscription_dict(sub) for sub in rows])


@bp.post("/subscriptions")
@doc("billing", body=NewSubscription, ok=(201, Subscription), errors=(404,))
@authenticated
async def create_subscription(request: Request):
    """Open a subscription for the caller (staff: for `user_id`)."""
    new = parse_body(request, NewSubscription)
    user = await current_user(request)
    fields = new.model_dump(exclude={"user_id"})
    sub = await billing.create_subscription(user_id=owner_for(user, new.user_id), **fields)
    await broadcast.billing_changed(request.app.ctx.rt.analytics, sub.user_id)
    return reply(billing.subscription_dict(sub), status=201)


@bp.get("/subscriptions/<subscription_id:int>")
@doc("billing", ok=Subscription, errors=(404,))
@authenticated
async def get_subscription(request: Request, subscription_id: int):
    """One subscription: the caller's own, or any for staff."""
    user = await current_user(request)
    sub = await billing.get_subscription(subscription_id=subscription_id, user_id=owner_scope(user))
    return reply(billing.subscription_dict(sub))


@bp.patch("/subscriptions/<subscription_id:int>")
@doc("billing", body=SubscriptionChange, ok=Subscription, errors=(404,))
@authenticated
async def update_subscription(request: Request, subscription_id: int):
    """Change a subscription's plan, status, price, currency or period."""
    change = parse_body(request, SubscriptionChange)
    user = await current_user(request)
    sub, changed = await billing.update_subscription(
        subscription_id=subscription_id,
        changes=change.model_dump(exclude_unset=True),
        user_id=owner_scope(user),
    )
    if changed:
        await broadcast.billing_changed(request.app.ctx.rt.analytics, sub.user_id)
    return reply(billing.subscription_dict(sub))


@bp.delete("/subscriptions/<subscription_id:int>")
@doc("billing", ok=(204, None), errors=(404,))
@authenticated
async def delete_subscription(request: Request, subscription_id: int):
    """Delete a subscription together with its invoices."""
    user = await current_user(request)
    sub = await billing.delete_subscription(
        subscription_id=subscription_id, user_id=owner_scope(user)
    )
    await broadcast.billing_changed(request.app.ctx.rt.analytics, sub.user_id)
    return no_content()


# --- invoices --------------------------------------------------------------------------------


@bp.get("/invoices")
@doc("billing", query=ListInvoices, ok=InvoiceList, errors=(404,))
@authenticated
async def list_invoices(request: Request):
    """List invoices, newest first (`?status=&subscription_id=&limit=&offset=&user_id=`)."""
    query = parse_query(request, ListInvoices)
    user = await current_user(request)
    rows = await billing.list_invoices(
        user_id=list_scope(user, query.user_id),
        status=query.status,
        subscription_id=query.subscription_id,
        limit=query.limit,
        offset=query.offset,
    )
    return items([billing.invoice_dict(invoice) for invoice in rows])


@bp.post("/invoices")
@doc("billing", body=NewInvoice, ok=(201, Invoice), errors=(404,))
@authenticated
async def create_invoice(request: Request):
    """Add an invoice to one of the caller's subscriptions (staff: to any)."""
    new = parse_body(request, NewInvoice)
    user = await current_user(request)
    invoice = await billing.create_invoice(**new.model_dump(), user_id=owner_scope(user))
    await broadcast.billing_changed(request.app.ctx.rt.analytics, invoice.user_id)
    return reply(billing.invoice_dict(invoice), status=201)


@bp.get("/invoices/<invoice_id:int>")
@doc("billing", ok=Invoice, errors=(404,))
@authenticated
async def get_invoice(request: Request, invoice_id: int):
    """One invoice: the caller's own, or any for staff."""
    user = await current_user(request)
    invoice = await billing.get_invoice(invoice_id=invoice_id, user_id=owner_scope(user))
    return reply(billing.invoice_dict(invoice))


@bp.patch("/invoices/<invoice_id:int>")
@doc("billing", body=InvoiceChange, ok=Invoice, errors=(404,))
@authenticated
async def update_invoice(request: Request, invoice_id: int):
    """Change an invoice's amount, status or due date."""
    change = parse_body(request, InvoiceChange)
    user = await current_user(request)
    invoice, changed = await billing.update_invoice(
        invoice_id=invoice_id,
        changes=change.model_dump(exclude_unset=True),
        user_id=owner_scope(user),
    )
    if changed:
        await broadcast.billing_changed(request.app.ctx.rt.analytics, invoice.user_id)
    return reply(billing.invoice_dict(invoice))


@bp.delete("/invoices/<invoice_id:int>")
@doc("billing", ok=(204, None), errors=(404,))
@authenticated
async def delete_invoice(request: Request, invoice_id: int):
    """Delete an invoice."""
    user = await current_user(request)
    invoice = await billing.delete_invoice(invoice_id=invoice_id, user_id=owner_scope(user))
    await broadcast.billing_changed(request.app.ctx.rt.analytics, invoice.user_id)
    return no_content()


@bp.post("/invoices/<invoice_id:int>/pay")
@doc("billing", ok=Invoice, errors=(404, 409))
@authenticated
async def pay_invoice(request: Request, invoice_id: int):
    """Mark an invoice paid; one already paid is 409 `conflict`."""
    user = await current_user(request)
    invoice = await billing.pay_invoice(invoice_id=invoice_id, user_id=owner_scope(user))
    await broadcast.billing_changed(request.app.ctx.rt.analytics, invoice.user_id)
    return reply(billing.invoice_dict(invoice))
