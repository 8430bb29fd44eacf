"""Helpers shared by the billing REST tests and the /analytics socket tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.harness import Client

API = "/api/v1"
FIGURES = (
    "active_subscriptions",
    "total_invoices",
    "paid_invoices",
    "pending_invoices",
    "overdue_invoices",
    "revenue_paid_cents",
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def figures(stats: dict) -> dict:
    """The figures of a stats payload without its time stamp."""
    return {key: stats[key] for key in FIGURES}


class Billing:
    """Creates billing objects over REST as one user, asserting success."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http, self.headers = http, bearer(token)

    async def subscription(self, **overrides: Any) -> dict:
        body = {"plan": "pro", "status": "active", "price_cents": 1900, **overrides}
        r = await self.http.post(f"{API}/subscriptions", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()

    async def invoice(self, subscription_id: int, **overrides: Any) -> dict:
        body = {
            "subscription_id": subscription_id,
            "amount_cents": 1900,
            "status": "pending",
            "due_date": "2026-12-01",
            **overrides,
        }
        r = await self.http.post(f"{API}/invoices", json=body, headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()

    async def pay(self, invoice_id: int) -> dict:
        r = await self.http.post(f"{API}/invoices/{invoice_id}/pay", headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()


async def figures_matching(client: Client, event: str, timeout: float = 5, **want: int) -> dict:
    """The first `event` whose figures include `want`; earlier ones (older figures) are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = []
    while True:
        left = deadline - loop.time()
        try:
            stats = await client.wait(event, timeout=max(left, 0.001))
        except TimeoutError:
            raise AssertionError(f"no {event} with {want} within {timeout} s; saw {seen}") from None
        seen.append(figures(stats))
        if all(stats[key] == value for key, value in want.items()):
            return stats
