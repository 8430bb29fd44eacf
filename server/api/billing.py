"""/api/v1/subscriptions and /api/v1/invoices: a user's billing; staff see everyone's.

Every change is an action of actions.billing, so fresh `stats` follow within a fraction of a
second, exactly as the same change made over a socket.
"""

from __future__ import annotations

from sanic import Blueprint, Request

from actions import billing as actions
from actions.registry import door
from core.identity import Identity
from models import billing, billing_services
from models.billing import (
    InvoiceChange,
    ListInvoices,
    ListSubscriptions,
    NewInvoice,
    NewSubscription,
    SubscriptionChange,
)
from server.api.openapi import doc
from server.api.schemas import Invoice, InvoiceList, Subscription, SubscriptionList
from server.http import authenticated, handles, items, no_content, parse_body, parse_query, reply

bp = Blueprint("billing")


# --- subscriptions ---------------------------------------------------------------------------


@bp.get("/subscriptions")
@doc("billing", query=ListSubscriptions, ok=SubscriptionList, errors=(404,))
@authenticated
async def list_subscriptions(request: Request, actor: Identity):
    """List subscriptions, newest first (`?status=&limit=&offset=`; staff: `&user_id=`)."""
    query = parse_query(request, ListSubscriptions)
    rows = await billing_services.list_subscriptions(
        user_id=actor.list_scope(query.user_id),
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    return items([billing.subscription_dict(sub) for sub in rows])


@bp.post("/subscriptions")
@doc("billing", body=NewSubscription, ok=(201, Subscription), errors=(404,))
@authenticated
@door(actions.create_subscription)
async def create_subscription(request: Request, actor: Identity):
    """Open a subscription for the caller (staff: for `user_id`)."""
    new = parse_body(request, NewSubscription)
    return reply(await actions.create_subscription(handles(request), actor, new), status=201)


@bp.get("/subscriptions/<subscription_id:int>")
@doc("billing", ok=Subscription, errors=(404,))
@authenticated
async def get_subscription(request: Request, actor: Identity, subscription_id: int):
    """One subscription: the caller's own, or any for staff."""
    sub = await billing_services.get_subscription(
        subscription_id=subscription_id, user_id=actor.scope
    )
    return reply(billing.subscription_dict(sub))


@bp.patch("/subscriptions/<subscription_id:int>")
@doc("billing", body=SubscriptionChange, ok=Subscription, errors=(404,))
@authenticated
@door(actions.update_subscription)
async def update_subscription(request: Request, actor: Identity, subscription_id: int):
    """Change a subscription's plan, status, price, currency or period."""
    change = parse_body(request, SubscriptionChange)
    rt = handles(request)
    return reply(await actions.update_subscription(rt, actor, subscription_id, change))


@bp.delete("/subscriptions/<subscription_id:int>")
@doc("billing", ok=(204, None), errors=(404,))
@authenticated
@door(actions.delete_subscription)
async def delete_subscription(request: Request, actor: Identity, subscription_id: int):
    """Delete a subscription together with its invoices."""
    await actions.delete_subscription(handles(request), actor, subscription_id)
    return no_content()


# --- invoices --------------------------------------------------------------------------------


@bp.get("/invoices")
@doc("billing", query=ListInvoices, ok=InvoiceList, errors=(404,))
@authenticated
async def list_invoices(request: Request, actor: Identity):
    """List invoices, newest first (`?status=&subscription_id=&limit=&offset=&user_id=`)."""
    query = parse_query(request, ListInvoices)
    rows = await billing_services.list_invoices(
        user_id=actor.list_scope(query.user_id),
        status=query.status,
        subscription_id=query.subscription_id,
        limit=query.limit,
        offset=query.offset,
    )
    return items([billing.invoice_dict(invoice) for invoice in rows])


@bp.post("/invoices")
@doc("billing", body=NewInvoice, ok=(201, Invoice), errors=(404,))
@authenticated
@door(actions.create_invoice)
async def create_invoice(request: Request, actor: Identity):
    """Add an invoice to one of the caller's subscriptions (staff: to any)."""
    new = parse_body(request, NewInvoice)
    return reply(await actions.create_invoice(handles(request), actor, new), status=201)


@bp.get("/invoices/<invoice_id:int>")
@doc("billing", ok=Invoice, errors=(404,))
@authenticated
async def get_invoice(request: Request, actor: Identity, invoice_id: int):
    """One invoice: the caller's own, or any for staff."""
    invoice = await billing_services.get_invoice(invoice_id=invoice_id, user_id=actor.scope)
    return reply(billing.invoice_dict(invoice))


@bp.patch("/invoices/<invoice_id:int>")
@doc("billing", body=InvoiceChange, ok=Invoice, errors=(404,))
@authenticated
@door(actions.update_invoice)
async def update_invoice(request: Request, actor: Identity, invoice_id: int):
    """Change an invoice's amount, status or due date."""
    change = parse_body(request, InvoiceChange)
    return reply(await actions.update_invoice(handles(request), actor, invoice_id, change))


@bp.delete("/invoices/<invoice_id:int>")
@doc("billing", ok=(204, None), errors=(404,))
@authenticated
@door(actions.delete_invoice)
async def delete_invoice(request: Request, actor: Identity, invoice_id: int):
    """Delete an invoice."""
    await actions.delete_invoice(handles(request), actor, invoice_id)
    return no_content()


@bp.post("/invoices/<invoice_id:int>/pay")
@doc("billing", ok=Invoice, errors=(404, 409))
@authenticated
@door(actions.pay_invoice)
async def pay_invoice(request: Request, actor: Identity, invoice_id: int):
    """Mark an invoice paid; one already paid is 409 `conflict`."""
    return reply(await actions.pay_invoice(handles(request), actor, invoice_id))
