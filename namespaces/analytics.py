"""/analytics namespace: live billing figures, and the billing changes a client may make here.

Changes go through the same services and the same broadcast verb as REST, so they move
`stats` exactly as the REST calls do.
"""

from __future__ import annotations

from typing import Any

from models import billing
from models.billing import NewInvoice, NewSubscription, PayInvoice
from namespaces.base import AuthedNamespace
from server.broadcast import analytics as broadcast
from server.identity import Identity


def scope(identity: Identity) -> int | None:
    """Whose objects the socket may touch: its user's, or anyone's (None) for staff."""
    return None if identity.is_staff else identity.user_id


class AnalyticsNamespace(AuthedNamespace):
    path = "/analytics"

    async def after_connect(self, sid: str, identity: Identity) -> None:
        await broadcast.greet(
            self.server, sid, user_id=identity.user_id, is_staff=identity.is_staff
        )

    async def on_refresh(self, sid: str, data: Any = None) -> dict:
        """Ack with the caller's `stats`; a staff socket also gets a `global_stats` event."""
        identity = await self.identity(sid)
        if identity.is_staff:
            await broadcast.global_stats_to(self.server, sid)
        return await billing.stats_for(user_id=identity.user_id)

    async def on_create_subscription(self, sid: str, data: Any) -> dict:
        req = self.parse(NewSubscription, data)
        identity = await self.identity(sid)
        owner = billing.owner_for(
            caller_id=identity.user_id, is_staff=identity.is_staff, wanted=req.user_id
        )
        sub = await billing.create_subscription(
            user_id=owner, **req.model_dump(exclude={"user_id"})
        )
        await broadcast.billing_changed(self.rt.analytics, sub.user_id)
        return billing.subscription_dict(sub)

    async def on_create_invoice(self, sid: str, data: Any) -> dict:
        req = self.parse(NewInvoice, data)
        identity = await self.identity(sid)
        invoice = await billing.create_invoice(**req.model_dump(), user_id=scope(identity))
        await broadcast.billing_changed(self.rt.analytics, invoice.user_id)
        return billing.invoice_dict(invoice)

    async def on_pay_invoice(self, sid: str, data: Any) -> dict:
        req = self.parse(PayInvoice, data)
        identity = await self.identity(sid)
        invoice = await billing.pay_invoice(invoice_id=req.invoice_id, user_id=scope(identity))
        await broadcast.billing_changed(self.rt.analytics, invoice.user_id)
        return billing.invoice_dict(invoice)
