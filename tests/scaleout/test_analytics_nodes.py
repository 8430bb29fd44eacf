"""Two server processes on one PostgreSQL and one Redis: billing changed on one node moves the
`stats` and `global_stats` of sockets connected to the other."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.api.billing_helpers import Billing, figures, figures_matching
from tests.harness import (
    Client,
)
from tests.scaleout.conftest import register

pytestmark = pytest.mark.scaleout


async def make_staff(database_url: str, user_id: int) -> None:
    """Promote a user in the cluster's database, as `roomcast create-user --staff` would."""
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("UPDATE users SET is_staff = TRUE WHERE id = $1", user_id)
    finally:
        await conn.close()


async def test_a_payment_on_one_node_moves_stats_on_the_other(cluster):
    a, b = cluster
    database_url = cluster.database_url
    login = await register(a.url)
    staff_login = await register(a.url)
    await make_staff(database_url, staff_login["user"]["id"])
    on_b = Client("/analytics")
    watcher = Client("/analytics")
    try:
        await on_b.connect(b.url, auth={"token": login["access_token"]})
        await on_b.wait("connection_established")
        assert (await on_b.wait("stats"))["total_invoices"] == 0
        await watcher.connect(b.url, auth={"token": staff_login["access_token"]})
        await watcher.wait("connection_established")
        before = await watcher.wait("global_stats")

        async with httpx.AsyncClient(base_url=a.url, timeout=10) as http:
            billing = Billing(http, login["access_token"])
            sub = await billing.subscription()
            invoice = await billing.invoice(sub["id"], amount_cents=1234)
            await figures_matching(on_b, "stats", timeout=2, total_invoices=1)
            await billing.pay(invoice["id"])
        stats = await figures_matching(on_b, "stats", timeout=1.0, paid_invoices=1)
        assert figures(stats) == {
            "active_subscriptions": 1,
            "total_invoices": 1,
            "paid_invoices": 1,
            "pending_invoices": 0,
            "overdue_invoices": 0,
            "revenue_paid_cents": 1234,
        }
        await figures_matching(
            watcher,
            "global_stats",
            timeout=2,
            paid_invoices=before["paid_invoices"] + 1,
            revenue_paid_cents=before["revenue_paid_cents"] + 1234,
        )
    finally:
        await on_b.close()
        await watcher.close()
