"""/analytics namespace: live billing figures, and the billing changes a client may make here.

Changes are the same actions (actions.billing) as REST, so they move
`stats` exactly as the REST calls do.
"""

from __future__ import annotations

from typing import Any

from actions import billing as actions
from actions.registry import door
from core.identity import Identity
from models import billing
from models.billing import NewInvoice, NewSubscription, PayInvoice
from namespaces.base import AuthedNamespace
from server.broadcast import analytics as broadcast


class AnalyticsNamespace(AuthedNamespace):
    path = "/analytics"

    async def after_connect(self, sid: str, identity: Identity) -> None:
        stats = await billing.stats_for(user_id=identity.user_id)
        everyone = await billing.stats_for(user_id=None) if identity.is_staff else None
        await broadcast.greet(self.server, sid, stats, everyone)

    async def on_refresh(self, sid: str, data: Any = None) -> dict:
        """Ack with the caller's `stats`; a staff socket also gets a `global_stats` event."""
        identity = await self.identity(sid)
        if identity.is_staff:
            await broadcast.global_stats_to(self.server, sid, await billing.stats_for(user_id=None))
        return await billing.stats_for(user_id=identity.user_id)

    @door(actions.create_subscription)
    async def on_create_subscription(self, sid: str, data: Any) -> dict:
        req = self.parse(NewSubscription, data)
        return await actions.create_subscription(self.rt, await self.identity(sid), req)

    @door(actions.create_invoice)
    async def on_create_invoice(self, sid: str, data: Any) -> dict:
        req = self.parse(NewInvoice, data)
        return await actions.create_invoice(self.rt, await self.identity(sid), req)

    @door(actions.pay_invoice)
    async def on_pay_invoice(self, sid: str, data: Any) -> dict:
        req = self.parse(PayInvoice, data)
        return await actions.pay_invoice(self.rt, await self.identity(sid), req.invoice_id)
